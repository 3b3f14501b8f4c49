# shellcheck shell=sh
# Runs the steps in the order given, then observes. A failed step stops the apply with its reason
# (record "failed"); steps already done stay done, and the next apply finds and keeps them.
# Steps B* are the boot-configuration module's (boot/boot.sh boot_step); the others are Lockdown's.
in=$(mktemp) || exit 70
log=$(mktemp) || exit 70
trap 'rm -f "$in" "$log"' EXIT
read_input "$in"
begin_apply "$in" "$log"
fail() { boot_fail "$1"; }
unit_path() {
  case "$1" in
    unit) printf '%s' "$UNIT" ;; unitlink) printf '%s' "$WANTS" ;;
    *) return 1 ;;
  esac
}
rank() { case "$1" in none) echo 0 ;; integrity) echo 1 ;; confidentiality) echo 2 ;; *) echo -1 ;; esac; }
current_level() { sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$SEC/lockdown" 2>/dev/null; }
while IFS="$TAB" read -r tag a b; do
  boot_step "$tag" "$a" "$b" && continue
  case "$tag" in
    M) if ! secfs_mounted; then
         mount -t securityfs securityfs "$SEC" 2>"$log" || fail "cannot mount securityfs on $SEC: $(cat "$log")"
         emit "done" mounted
       fi ;;
    L) want=$(unb64 "$a")
       [ "$(rank "$want")" -gt 0 ] || fail "not a lockdown level: $want"
       [ -r "$SEC/lockdown" ] || fail "$SEC/lockdown does not exist: the kernel has no Lockdown LSM"
       cur=$(current_level)
       # The kernel refuses the current or a lower level (EPERM): write only to raise.
       if [ "$(rank "$cur")" -lt "$(rank "$want")" ]; then
         grep -qw "$want" "$SEC/lockdown" || fail "this kernel does not offer lockdown level $want ($(cat "$SEC/lockdown"))"
         # env printf: the external printf reports the kernel's errno (the shell builtin does not)
         if ! err=$( { env printf '%s\n' "$want" > "$SEC/lockdown"; } 2>&1 ); then
           fail "the kernel refused lockdown level $want: $(printf '%s' "$err" | sed 's/.*: //' | tail -n 1)"
         fi
         emit "done" "raised $cur"
       fi ;;
    U) boot_write "$UNIT" "$a" ;;
    R) p=$(unit_path "$a") || fail "unknown target $a"
       boot_remove "$p" ;;
    E) if [ "$(readlink "$WANTS" 2>/dev/null)" != "$UNIT" ]; then
         mkdir -p "$(dirname "$WANTS")" || fail "cannot create $(dirname "$WANTS")"
         tmp="$(dirname "$WANTS")/.$(basename "$WANTS").kh-link"
         rm -f "$tmp"
         { ln -s "$UNIT" "$tmp" && mv -Tf "$tmp" "$WANTS"; } 2>"$log" || { rm -f "$tmp"; fail "cannot enable $UNIT: $(cat "$log")"; }
         { sync "$(dirname "$WANTS")" 2>/dev/null || sync; }
         emit "done" enabled
       fi ;;
    D) if [ -d /run/systemd/system ]; then systemctl daemon-reload 2>"$log" || fail "systemctl daemon-reload failed: $(tail -n 3 "$log")"; fi ;;
    *) fail "unknown step $tag" ;;
  esac
done < "$in"
observe
