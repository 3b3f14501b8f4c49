# shellcheck shell=sh
# Lockdown's remote half, after the prelude and boot/boot.sh, which holds everything about the boot
# configuration (the GRUB drop-in, /etc/kernel/cmdline, update-grub, kernel-install) and the file
# writes this script shares with it. What is left here: the level itself and the boot-time unit.
SEC=/sys/kernel/security
UNIT="$ROOT/etc/systemd/system/kernelhardening-lockdown.service"
WANTS="$ROOT/etc/systemd/system/sysinit.target.wants/kernelhardening-lockdown.service"
secfs_mounted() { awk -v m="$SEC" '$2 == m { t = $3 } END { exit t != "securityfs" }' /proc/self/mounts; }
# Prints lockdown/lsm records; run as is, or inside a private mount namespace.
# shellcheck disable=SC2016 # expanded by the shell that runs it
peek_cmd='for f in lockdown lsm; do
  if [ -r "/sys/kernel/security/$f" ]; then printf "%s\t%s\n" "$f" "$(base64 -w0 < "/sys/kernel/security/$f")"; fi
done'
observe() {
  emit kernel "$(b64str "$(uname -r)")"
  if secfs_mounted; then
    emit secfs mounted
    sh -c "$peek_cmd"
  elif grep -qw securityfs /proc/filesystems; then
    emit secfs unmounted
    perr=$(mktemp) || exit 70
    if out=$(unshare -m /bin/sh -c "mount -t securityfs securityfs $SEC && { $peek_cmd
}" 2>"$perr"); then
      [ -n "$out" ] && printf '%s\n' "$out"
    else
      emit peekfailed "$(b64str "$(cat "$perr")")"
    fi
    rm -f "$perr"
  else
    emit secfs unsupported
  fi
  # The boot configuration, read by the shared boot-configuration module.
  observe_boot
  [ -f "$UNIT" ] && emit unit "$(b64file "$UNIT")"
  [ -L "$WANTS" ] && emit unitlink "$(b64str "$(readlink "$WANTS")")"
  [ -d /run/systemd/system ] && emit systemd
  return 0
}
