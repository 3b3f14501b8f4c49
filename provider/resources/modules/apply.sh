# shellcheck shell=sh
# ModuleBlocklist apply (after the prelude and lib.sh): write or remove the file atomically (written
# only when its content differs), then observe.
begin_apply "$in"
dest="$ROOT/etc/modprobe.d/$name"
# A file that was not ours, as it was before adopt took it over; delete puts it back.
orig="$ROOT/var/lib/kernelhardening/modules/$name.original"
foreign() { { [ -e "$dest" ] || [ -L "$dest" ]; } && ! is_ours "$dest" "$1"; }
mkdir -p "$ROOT/etc/modprobe.d"
remove_stale_temps "$dest"
while IFS="$FS" read -r tag content mode; do
  case "$tag" in
    W) header=$(unb64 "$content" | head -n 1)
       if [ "$mode" != adopt ] && foreign "$header"; then emit foreign "$(b64str "$name")"; exit 5; fi
       if [ -f "$dest" ] && [ ! -L "$dest" ] && [ "$(b64file "$dest")" = "$content" ]; then continue; fi
       if foreign "$header" && ! keep_original "$dest" "$orig"; then
         emit failed "$(b64str "cannot keep a copy of $dest in $orig")"; exit 4
       fi
       if ! unb64 "$content" | atomic_write "$dest" 0644; then emit failed "$(b64str "cannot write $dest")"; exit 4; fi
       emit wrote ;;
    R) if [ -e "$orig" ] || [ -L "$orig" ]; then
         restore_original "$dest" "$orig" || { emit failed "$(b64str "cannot put $orig back in $dest")"; exit 4; }
         emit restored
       elif [ -e "$dest" ] || [ -L "$dest" ]; then
         rm -f "$dest"; { sync "$ROOT/etc/modprobe.d" 2>/dev/null || sync; }; emit removed
       fi ;;
  esac
done < "$in"
observe "$name"
