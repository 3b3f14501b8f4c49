# shellcheck shell=sh
# ModuleBlocklist, shared by observe.sh and apply.sh (after the prelude). Input records (records.ts):
#   F NAME                        the file, $ROOT/etc/modprobe.d/NAME
#   W B64CONTENT new|adopt        (apply) ensure its content: new refuses a file that is not ours,
#                                 adopt takes it over keeping the original for delete
#   R                             (apply) remove it (the original put back if it was adopted)
# Output: file B64 | nofile, loaded B64 (the modules in /proc/modules); from apply also wrote,
#   removed, restored, foreign and failed.
observe() {
  if [ -f "$ROOT/etc/modprobe.d/$1" ]; then emit file "$(b64file "$ROOT/etc/modprobe.d/$1")"; else emit nofile; fi
  emit loaded "$(b64str "$(cut -d ' ' -f 1 "$ROOT/proc/modules" | tr '\n' ' ')")"
}
in=$(mktemp) || exit 70
trap 'rm -f "$in"' EXIT
read_records "$in"
name=$(grep "^F$FS" "$in" | head -n 1 | cut -d "$FS" -f 2)
[ -n "$name" ] || exit 64
