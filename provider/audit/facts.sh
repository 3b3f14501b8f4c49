# The audit's read of a host: every fact in one round trip, nothing changed.
# stdin: K<TAB>key<TAB>procpath records (the sysctls to read), then END.
# shellcheck shell=sh
rel=$(uname -r); emit release "$(b64str "$rel")"; emit arch "$(b64str "$(uname -m)")"
if [ -r "/boot/config-$rel" ]; then emit kconfig "$(b64str "/boot/config-$rel")" "$(b64file "/boot/config-$rel")"
elif [ -r /proc/config.gz ] && command -v zcat >/dev/null; then
  emit kconfig "$(b64str /proc/config.gz)" "$(zcat /proc/config.gz | base64 -w0)"
fi
[ -r /proc/cmdline ] && emit cmdline "$(b64file /proc/cmdline)"
[ -r /sys/kernel/security/lockdown ] && emit lockdown "$(b64file /sys/kernel/security/lockdown)"
[ -r /sys/kernel/security/lsm ] && emit lsm "$(b64file /sys/kernel/security/lsm)"
[ -r /proc/sys/kernel/tainted ] && emit tainted "$(b64file /proc/sys/kernel/tainted)"
[ -r /sys/module/module/parameters/sig_enforce ] && emit sig_enforce "$(b64file /sys/module/module/parameters/sig_enforce)"
while IFS="$TAB" read -r tag key path; do
  [ "$tag" = K ] || continue
  if v=$(cat "/proc/sys/$path" 2>/dev/null); then emit sysctl "$key" "$(b64str "$v")"; else emit nosysctl "$key"; fi
done
exit 0
