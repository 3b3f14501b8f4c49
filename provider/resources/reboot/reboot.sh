# shellcheck shell=sh
# HostReboot's reboot: probe (the caller waits for another boot id), then ask systemd for a reboot
# without waiting for it, so this command returns before sshd stops. Hosts without systemd get
# reboot(8) from a detached shell a second later.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
sync
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl --no-block reboot </dev/null >/dev/null 2>&1 || { emit failed "$(b64str "systemctl reboot failed")"; exit 4; }
else
  nohup sh -c 'sleep 1; reboot' </dev/null >/dev/null 2>&1 &
fi
emit "done" rebooting
