# shellcheck shell=sh
# Runs the steps in the order given, then observes. A failed step stops the apply with its reason
# (record "failed"); steps already done stay done, and the next apply finds and keeps them.
in=$(mktemp) || exit 70
log=$(mktemp) || exit 70
trap 'rm -f "$in" "$log"' EXIT
read_input "$in"
begin_apply "$in" "$log"
fail() { boot_fail "$1"; }
target_path() {
  case "$1" in
    dropin) printf '%s' "$DROPIN" ;; unit) printf '%s' "$UNIT" ;; kcmdline) printf '%s' "$KCMDLINE" ;; unitlink) printf '%s' "$WANTS" ;;
    *) return 1 ;;
  esac
}
rank() { case "$1" in none) echo 0 ;; integrity) echo 1 ;; confidentiality) echo 2 ;; *) echo -1 ;; esac; }
current_level() { sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$SEC/lockdown" 2>/dev/null; }
while IFS="$TAB" read -r tag a b c; do
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
    W) p=$(target_path "$a") || fail "unknown target $a"
       remove_stale_temps "$p"
       if [ -f "$p" ] && [ "$(b64file "$p")" = "$b" ]; then continue; fi
       if [ -n "$c" ]; then
         # A file we share with the user: write only over the content the plan was made from.
         if [ "$c" = "-" ]; then [ -e "$p" ] && fail "$p appeared since it was read; run the update again"
         elif [ "$(b64file "$p")" != "$c" ]; then fail "$p changed since it was read; run the update again"; fi
       fi
       mkdir -p "$(dirname "$p")" || fail "cannot create $(dirname "$p")"
       unb64 "$b" | atomic_write "$p" 0644 || fail "cannot write $p"
       emit "done" "wrote $a" ;;
    R) p=$(target_path "$a") || fail "unknown target $a"
       remove_stale_temps "$p"
       if [ -e "$p" ] || [ -L "$p" ]; then
         rm -f "$p" || fail "cannot remove $p"
         { sync "$(dirname "$p")" 2>/dev/null || sync; }
         emit "done" "removed $a"
       fi ;;
    E) if [ "$(readlink "$WANTS" 2>/dev/null)" != "$UNIT" ]; then
         mkdir -p "$(dirname "$WANTS")" || fail "cannot create $(dirname "$WANTS")"
         tmp="$(dirname "$WANTS")/.$(basename "$WANTS").kh-link"
         rm -f "$tmp"
         { ln -s "$UNIT" "$tmp" && mv -Tf "$tmp" "$WANTS"; } 2>"$log" || { rm -f "$tmp"; fail "cannot enable $UNIT: $(cat "$log")"; }
         { sync "$(dirname "$WANTS")" 2>/dev/null || sync; }
         emit "done" enabled
       fi ;;
    D) if [ -d /run/systemd/system ]; then systemctl daemon-reload 2>"$log" || fail "systemctl daemon-reload failed: $(tail -n 3 "$log")"; fi ;;
    G) boot_step BG ;;
    K) boot_step BI ;;
  esac
done < "$in"
observe
