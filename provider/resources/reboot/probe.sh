# shellcheck shell=sh
# HostReboot's probe: which boot this is, and what the running kernel was booted with.
reboot_probe() {
  emit bootid "$(head -c 64 /proc/sys/kernel/random/boot_id | base64 -w0)"
  emit cmdline "$(head -c 65536 /proc/cmdline | base64 -w0)"
  [ -r /sys/kernel/security/lockdown ] && emit lockdown "$(head -c 256 /sys/kernel/security/lockdown | base64 -w0)"
  emit uptime "$(head -c 64 /proc/uptime | base64 -w0)"
  return 0
}
reboot_probe
