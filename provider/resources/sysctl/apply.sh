# shellcheck shell=sh
# Sysctl apply (after the prelude and lib.sh), one round trip that applies and reports: for each S
# record the live value is compared with the wanted one (whitespace folded, as normaliseValue does;
# an integer also as the kernel prints it) and written only when it differs, recording the value it
# replaced; W writes the file only when its content differs. A value the kernel refuses or does not
# keep rolls back every key set so far (each restore checked) and nothing is persisted.
# shellcheck disable=SC2086 # split on purpose: runs of white space fold to one space
fold() { ( set -f; set -- $1; IFS=' '; printf '%s' "$*" ); }
# same LIVE VALUE CANON: LIVE is VALUE as written, or as the kernel prints it
same() { [ "$(fold "$1")" = "$(fold "$2")" ] || [ "$(fold "$1")" = "$(fold "$3")" ]; }
begin_apply "$in"
done_list=$(mktemp) || exit 70
cleanup_later "$done_list"
file=$(grep "^F$FS" "$in" | head -n 1 | cut -d "$FS" -f 2)
dest="$ROOT/etc/sysctl.d/$file"
# Values from before this resource first changed a key live on the host, so they survive an apply
# whose result never reached Pulumi's state (a cut connection) and delete can still restore them.
prev="$prevdir/$file.previous"
# A file that was not ours, as it was before adopt took it over; delete puts it back.
orig="$prevdir/$file.original"
foreign() { { [ -e "$dest" ] || [ -L "$dest" ]; } && ! is_ours "$dest" "$1"; }
# A file that is not ours is refused before anything changes, unless the resource owns it already
# (own: an update, or an import) or takes it over (adopt).
while IFS="$FS" read -r tag a b c; do
  if [ "$tag" = W ] && [ "$c" = new ] && foreign "$(unb64 "$b" | head -n 1)"; then emit foreign "$(b64str "$a")"; exit 5; fi
done < "$in"
rollback() {
  while IFS="$FS" read -r rkey rpath rold; do
    rval=$(unb64 "$rold")
    if ! rerr=$( { env printf '%s\n' "$rval" > "$ROOT/proc/sys/$rpath"; } 2>&1 ); then
      emit notrestored "$(b64str "$rkey")" "$(b64str "$rerr")"; continue
    fi
    rgot=$(cat "$ROOT/proc/sys/$rpath" 2>&1)
    [ "$(fold "$rgot")" = "$(fold "$rval")" ] ||
      emit notrestored "$(b64str "$rkey")" "$(b64str "the kernel kept the value $(fold "$rgot")")"
  done < "$done_list"
}
while IFS="$FS" read -r tag key path new canon; do
  [ "$tag" = S ] || continue
  val=$(unb64 "$new"); can=$(unb64 "$canon")
  if ! cur=$(cat "$ROOT/proc/sys/$path" 2>&1); then emit rejected "$(b64str "$key")" "$(b64str "$cur")"; rollback; exit 3; fi
  same "$cur" "$val" "$can" && continue
  # env printf: the external printf reports the kernel's errno (the shell builtin says "I/O error")
  if ! err=$( { env printf '%s\n' "$val" > "$ROOT/proc/sys/$path"; } 2>&1 ); then
    emit rejected "$(b64str "$key")" "$(b64str "$err")"; rollback; exit 3
  fi
  printf '%s\037%s\037%s\n' "$key" "$path" "$(b64str "$cur")" >> "$done_list"
  emit before "$(b64str "$key")" "$(b64str "$cur")"
  if ! awk -F"$TAB" -v k="$key" '$1 == k { found = 1 } END { exit !found }' "$prev" 2>/dev/null; then
    mkdir -p "$prevdir" && printf '%s\t%s\n' "$key" "$(b64str "$cur")" >> "$prev" && sync "$prev"
  fi
  got=$(cat "$ROOT/proc/sys/$path" 2>&1)
  if ! same "$got" "$val" "$can"; then
    emit rejected "$(b64str "$key")" "$(b64str "the kernel kept the value $(fold "$got")")"; rollback; exit 3
  fi
done < "$in"
while IFS="$FS" read -r tag a b c; do
  case "$tag" in
    W) remove_stale_temps "$dest"
       if [ -f "$dest" ] && [ ! -L "$dest" ] && [ "$(b64file "$dest")" = "$b" ]; then continue; fi
       if [ "$c" = adopt ] && foreign "$(unb64 "$b" | head -n 1)" && ! keep_original "$dest" "$orig"; then
         emit failed "$(b64str "cannot keep a copy of $dest in $orig")"; exit 4
       fi
       if ! unb64 "$b" | atomic_write "$dest" 0644; then emit failed "$(b64str "cannot write $dest")"; exit 4; fi
       emit wrote ;;
    R) remove_stale_temps "$dest"
       if [ -e "$orig" ] || [ -L "$orig" ]; then
         restore_original "$dest" "$orig" || { emit failed "$(b64str "cannot put $orig back in $dest")"; exit 4; }
         emit restored
       elif [ -e "$dest" ] || [ -L "$dest" ]; then
         rm -f "$dest" && { sync "$ROOT/etc/sysctl.d" 2>/dev/null || sync; }; emit removed
       fi
       rm -f "$prev" ;;
  esac
done < "$in"
observe "$in"
