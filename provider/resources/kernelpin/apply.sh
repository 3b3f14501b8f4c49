# shellcheck shell=sh
# KernelPackagePin apply (after the prelude and lib.sh). W writes the file only when its content
# differs; H/U call apt-mark only for packages whose hold differs, once for all of them, so a
# converged host sees no writes at all.
begin_apply "$in" "$err"
PIN_DIR=$(dirname "$PIN_FILE")
NL='
'
names=$(mktemp) || exit 70
cleanup_later "$names"
if ! apt_ok; then emit nopm "$(other_pm)"; exit 0; fi
remove_stale_temps "$PIN_FILE"
remove_stale_temps "$HELD_BY_US"
while IFS="$FS" read -r tag a; do
  case "$tag" in
    W) if [ -f "$PIN_FILE" ] && [ "$(b64file "$PIN_FILE")" = "$a" ]; then continue; fi
       if ! unb64 "$a" | atomic_write "$PIN_FILE" 0644; then emit failed "$(b64str "cannot write $PIN_FILE")"; exit 4; fi
       emit wrote ;;
    R) if [ -e "$PIN_FILE" ]; then rm -f "$PIN_FILE" && { sync "$PIN_DIR" 2>/dev/null || sync; }; emit removed; fi ;;
  esac
done < "$in"
if ! holds=$(apt-mark showhold 2>"$err"); then emit failed "$(b64str "apt-mark showhold: $(cat "$err")")"; exit 4; fi
is_held() { printf '%s\n' "$holds" | grep -qxF -- "$1"; }
to_hold=; to_unhold=
while IFS="$FS" read -r tag a; do
  case "$tag" in
    H) is_held "$a" || to_hold="$to_hold$a$NL" ;;
    U) is_held "$a" && to_unhold="$to_unhold$a$NL" ;;
  esac
done < "$in"
# record hold|unhold NAME...: adds the names to HELD_BY_US, or takes them out (the file goes with the last)
record() {
  act=$1; shift
  printf '%s\n' "$@" > "$names"
  if [ "$act" = hold ]; then
    mkdir -p "$(dirname "$HELD_BY_US")" || return 1
    { cat "$HELD_BY_US" 2>/dev/null; cat "$names"; } | sort -u | atomic_write "$HELD_BY_US" 0644
  elif [ -f "$HELD_BY_US" ]; then
    left=$(grep -vxF -f "$names" "$HELD_BY_US")
    if [ -n "$left" ]; then printf '%s\n' "$left" | atomic_write "$HELD_BY_US" 0644; return; fi
    rm -f "$HELD_BY_US" && rmdir "$(dirname "$HELD_BY_US")" 2>/dev/null
    return 0
  fi
}
mark() { # mark hold|unhold NEWLINE-SEPARATED-NAMES
  [ -n "$2" ] || return 0
  act=$1
  # shellcheck disable=SC2086 # split on newlines on purpose (globbing off)
  { set -f; o_ifs=$IFS; IFS=$NL; set -- $2; IFS=$o_ifs; set +f; }
  if ! out=$(apt-mark "$act" -- "$@" 2>&1); then emit failed "$(b64str "apt-mark $act: $out")"; exit 4; fi
  for p in "$@"; do emit "$act" "$p"; done
  if ! record "$act" "$@"; then emit failed "$(b64str "cannot record the holds in $HELD_BY_US")"; exit 4; fi
}
mark unhold "$to_unhold"
mark hold "$to_hold"
observe || exit 4
