# shellcheck shell=sh
# KernelCmdline's remote half, after the prelude and boot/boot.sh.
SIG_ENFORCE="$ROOT/sys/module/module/parameters/sig_enforce"
# kcl_observe: the boot configuration, the run-time value of what can be applied live, the boot id.
kcl_observe() {
  observe_boot
  [ -r "$SIG_ENFORCE" ] && emit live "$(b64str module.sig_enforce)" "$(head -c 8 "$SIG_ENFORCE" | base64 -w0)"
  emit bootid "$(head -c 64 "$ROOT/proc/sys/kernel/random/boot_id" | base64 -w0)"
  return 0
}
# kcl_step TAG: LS raises module.sig_enforce at run time (enable-only: the kernel refuses to clear it).
kcl_step() {
  case "$1" in
    LS) [ -w "$SIG_ENFORCE" ] || boot_fail "$SIG_ENFORCE is not writable: this kernel cannot enforce module signatures at run time"
        if [ "$(cat "$SIG_ENFORCE")" != Y ]; then
          # env printf: the external printf reports the kernel's errno (the shell builtin does not)
          if ! err=$( { env printf '1\n' > "$SIG_ENFORCE"; } 2>&1 ); then
            boot_fail "the kernel refused module.sig_enforce=1: $(printf '%s' "$err" | sed 's/.*: //' | tail -n 1)"
          fi
          emit "done" "raised module.sig_enforce to 1 at run time"
        fi ;;
    *) return 1 ;;
  esac
}
