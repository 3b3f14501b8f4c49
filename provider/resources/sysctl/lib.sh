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
# The recorded previous values and every key's live value, in one awk (fields of the input records
# split on FS), encoded as b64str does: as a shell loop this was about ten processes per key, most of
# a read's time on the host. A previous-values line is KEY TAB B64VALUE (written by apply.sh); only
# base64's alphabet of its value passes on. A live value loses its trailing newlines, as $(cat) does.
# shellcheck disable=SC2016 # awk's own $1, not the shell's
observe_awk='
BEGIN { B = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"; for (i = 1; i < 256; i++) ORD[sprintf("%c", i)] = i }
function b64(s,   o, i, n, x, y, z) {
  o = ""; n = length(s)
  for (i = 1; i <= n; i += 3) {
    x = ORD[substr(s, i, 1)]; y = i + 1 <= n ? ORD[substr(s, i + 1, 1)] : 0; z = i + 2 <= n ? ORD[substr(s, i + 2, 1)] : 0
    o = o substr(B, int(x / 4) + 1, 1) substr(B, (x % 4) * 16 + int(y / 16) + 1, 1)
    o = o (i + 1 <= n ? substr(B, (y % 16) * 4 + int(z / 64) + 1, 1) : "=") (i + 2 <= n ? substr(B, z % 64 + 1, 1) : "=")
  }
  return o
}
$1 == "F" {
  f = ENVIRON["KH_PREV_DIR"] "/" $2 ".previous"
  while ((getline line < f) > 0) {
    sub(/^\t+/, "", line); t = index(line, "\t"); if (!t) continue
    v = substr(line, t + 1); gsub(/[^A-Za-z0-9+\/=]/, "", v)
    if (v != "") print "prev\t" b64(substr(line, 1, t - 1)) "\t" v
  }
  close(f)
}
$1 == "K" {
  p = ENVIRON["KH_ROOT_DIR"] "/proc/sys/" $3; v = ""; n = 0
  while ((r = (getline line < p)) > 0) v = (n++ ? v "\n" : "") line
  close(p)
  if (r < 0) { print "nolive\t" b64($2) "\t" b64("cannot read /proc/sys/" $3); next }
  sub(/\n+$/, "", v)
  print "live\t" b64($2) "\t" b64(v)
}'
observe() {
  while IFS="$FS" read -r tag a _; do
    [ "$tag" = F ] || continue
    if [ -f "$ROOT/etc/sysctl.d/$a" ]; then emit file "$(b64file "$ROOT/etc/sysctl.d/$a")"; else emit nofile; fi
  done < "$1"
  KH_ROOT_DIR="$ROOT" KH_PREV_DIR="$prevdir" LC_ALL=C awk -F "$FS" "$observe_awk" "$1" || return 1
  for d in /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d; do
    d64=
    for f in "$ROOT$d"/*.conf; do
      [ -f "$f" ] || continue
      [ -n "$d64" ] || d64=$(b64str "$d")
      emit conf "$d64" "$(b64str "${f##*/}")" "$(b64file "$f")"
    done
  done
  [ -f "$ROOT/etc/sysctl.conf" ] && emit conf "$(b64str /etc)" "$(b64str sysctl.conf)" "$(b64file "$ROOT/etc/sysctl.conf")"
  return 0
}
in=$(mktemp) || exit 70
trap 'rm -f "$in"' EXIT
read_records "$in"
