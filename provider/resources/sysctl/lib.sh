# shellcheck shell=sh
# Sysctl, shared by observe.sh and apply.sh (after the prelude). Input records (records.ts):
#   F NAME               our drop-in, $ROOT/etc/sysctl.d/NAME
#   K KEY PATH           a managed key and its path under /proc/sys
#   S KEY PATH B64VALUE B64CANON   (apply) set KEY live; CANON is how the kernel prints VALUE
#   W NAME B64CONTENT own|new|adopt  (apply) ensure the drop-in: new refuses a file that is not ours,
#                                  adopt takes it over keeping the original for delete
#   R NAME               (apply) remove the drop-in (the original put back if it was adopted)
# Output: file B64 | nofile; prev B64KEY B64VALUE; live|nolive B64KEY B64VALUE|B64ERROR;
#   conf B64DIR B64NAME B64CONTENT for every sysctl.d file (precedence); from apply also before,
#   wrote, removed, restored, rejected, notrestored, foreign and failed.
prevdir="$ROOT/var/lib/kernelhardening/sysctl"
observe() {
  while IFS="$FS" read -r tag a b; do
    case "$tag" in
      F) if [ -f "$ROOT/etc/sysctl.d/$a" ]; then emit file "$(b64file "$ROOT/etc/sysctl.d/$a")"; else emit nofile; fi
         if [ -f "$prevdir/$a.previous" ]; then
           # written by apply.sh: KEY TAB B64VALUE per line (only base64's alphabet passes on)
           while IFS="$TAB" read -r pk pv; do
             pv=$(printf '%s' "$pv" | tr -cd 'A-Za-z0-9+/=')
             [ -n "$pv" ] && emit prev "$(b64str "$pk")" "$pv"
           done < "$prevdir/$a.previous"
         fi ;;
      K) if v=$(cat "$ROOT/proc/sys/$b" 2>&1); then emit live "$(b64str "$a")" "$(b64str "$v")"
         else emit nolive "$(b64str "$a")" "$(b64str "$v")"; fi ;;
    esac
  done < "$1"
  for d in /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d; do
    for f in "$ROOT$d"/*.conf; do
      [ -f "$f" ] && emit conf "$(b64str "$d")" "$(b64str "$(basename "$f")")" "$(b64file "$f")"
    done
  done
  [ -f "$ROOT/etc/sysctl.conf" ] && emit conf "$(b64str /etc)" "$(b64str sysctl.conf)" "$(b64file "$ROOT/etc/sysctl.conf")"
  return 0
}
in=$(mktemp) || exit 70
trap 'rm -f "$in"' EXIT
read_records "$in"
