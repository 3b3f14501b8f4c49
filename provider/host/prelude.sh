# shellcheck shell=sh
# The prelude of every remote script (see scripts.ts): record output, atomic writes, the host lock,
# complete input only, and the cut-safe apply.
#
# Conventions for the scripts that follow it:
# - ROOT is the root of the tree a script works on: empty on a host; the script tests point KH_ROOT
#   at a fake tree. Every path a script touches is written "$ROOT/etc/...".
# - Input: read_records FILE (records.ts: one record a line, END last). Fields are read with
#   `IFS="$FS" read -r a b c`: FS is not a white-space character, so empty fields keep their place
#   (with IFS=TAB, `read` merges consecutive tabs and shifts every field after an empty one).
# - Output: emit FIELD... (TAB-separated). Every field that holds anything a host chose (file
#   names, file contents, command output) goes through b64str/b64file, so it cannot forge a record.
set -u
umask 022
ROOT=${KH_ROOT:-}
TAB=$(printf '\t')
FS=$(printf '\037')
# No subshell: a process per record was a good part of a read's cost (IFS is never unset here).
emit() { em_ifs=$IFS; IFS=$TAB; printf '%s\n' "$*"; IFS=$em_ifs; }
b64file() { base64 -w0 < "$1" 2>/dev/null || base64 < "$1" | tr -d '\n'; }
b64str() { printf '%s' "$1" | base64 -w0 2>/dev/null || printf '%s' "$1" | base64 | tr -d '\n'; }
unb64() { printf '%s' "$1" | base64 -d; }
# atomic_write DEST MODE: stdin -> temp file in DEST's directory, fsync, rename, fsync the directory
atomic_write() {
  aw_dir=$(dirname "$1"); aw_base=$(basename "$1")
  aw_tmp=$(mktemp "$aw_dir/.$aw_base.kh-XXXXXX") || return 1
  if cat > "$aw_tmp" && chmod "$2" "$aw_tmp" && chown 0:0 "$aw_tmp" && sync "$aw_tmp" && mv -f "$aw_tmp" "$1"; then
    sync "$aw_dir" 2>/dev/null || sync
    return 0
  fi
  rm -f "$aw_tmp"; return 1
}
# lock_fail MESSAGE: no lock could be had, so nothing is applied (exit 75, see ssh/pool.ts)
lock_fail() { printf 'kernelhardening: %s; nothing was changed\n' "$1" >&2; exit 75; }
# host_lock: serialises changes to this host across provider processes and stacks. The lock and its
# owner record live in $ROOT/run/kernelhardening, which only root can write: in a world-writable
# directory (/run/lock) any local user could pre-create the names (a symlink the owner record would
# follow, a FIFO that hangs the open, a lock they hold forever). The directory is refused when it is
# a symlink, not a directory, not owned by the user running the apply (root) or writable by others.
# flock(1) drops the lock when its holder dies, so a crashed apply never blocks the next one; a live
# holder is waited for at most KH_LOCK_WAIT (120) s, then the apply fails naming it. Without flock
# there is no lock, and the apply is refused rather than run unlocked.
host_lock() {
  hl_dir="$ROOT/run/kernelhardening"
  command -v flock >/dev/null 2>&1 || lock_fail "cannot lock the host: flock(1) (util-linux) is not installed"
  mkdir -m 0700 "$hl_dir" 2>/dev/null
  if [ -L "$hl_dir" ] || [ ! -d "$hl_dir" ]; then lock_fail "cannot lock the host: $hl_dir is not a directory"; fi
  # shellcheck disable=SC2012 # ls -ldn: owner and mode without GNU stat
  hl_st=$(ls -ldn "$hl_dir" 2>/dev/null) || lock_fail "cannot lock the host: cannot read $hl_dir"
  # "drwx------ 2 0 0 ...": field 1 is the mode, field 3 the owner's uid
  hl_mode=$(printf '%s\n' "$hl_st" | cut -c6,9)
  hl_uid=$(printf '%s\n' "$hl_st" | awk '{ print $3 }')
  [ "$hl_uid" = "$(id -u)" ] || lock_fail "cannot lock the host: $hl_dir is owned by uid $hl_uid, not $(id -u)"
  [ "$hl_mode" = "--" ] || lock_fail "cannot lock the host: $hl_dir is writable by other users"
  hl_lock="$hl_dir/lock"
  if [ -e "$hl_lock" ] || [ -L "$hl_lock" ]; then
    if [ -L "$hl_lock" ] || [ ! -f "$hl_lock" ]; then lock_fail "cannot lock the host: $hl_lock is not a regular file"; fi
  fi
  # `command exec`: a failed redirection of a plain exec would end the script in dash, message-less
  command exec 9>>"$hl_lock" || lock_fail "cannot lock the host: cannot open $hl_lock"
  if ! flock -w "${KH_LOCK_WAIT:-120}" 9; then
    printf 'kernelhardening: host lock busy: %s\n' "$(head -c 200 "$hl_dir/owner" 2>/dev/null | tr -cd '[:print:]' || true)" >&2
    exit 75
  fi
  # The owner record, atomically: a reader sees the previous holder's or ours, never half a line.
  printf 'pid %s since %s\n' "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" | atomic_write "$hl_dir/owner" 0600 ||
    lock_fail "cannot write $hl_dir/owner"
}
# read_input FILE: stdin -> FILE without its last line, which must be END (records.ts): input that a
# lost connection cut short is refused (exit 65) before anything is touched. Fields stay TAB-separated.
read_input() {
  cat > "$1" || exit 65
  if [ "$(tail -n 1 "$1")" != END ]; then echo "kernelhardening: incomplete input (the connection was lost?)" >&2; exit 65; fi
  sed -i '$d' "$1"
}
# read_records FILE: read_input, then the fields separated by FS (see above) for `IFS="$FS" read`.
read_records() {
  read_input "$1"
  rr_tmp=$(mktemp) || exit 70
  tr '\t' '\037' < "$1" > "$rr_tmp" && cat "$rr_tmp" > "$1"
  rm -f "$rr_tmp"
}
# begin_apply [FILE...]: every apply starts here. A dropped connection must not stop it halfway, so
# SIGHUP/SIGPIPE are ignored and the output is held in a file until the end (the host is left before
# or after the apply, never between); changes to one host are serialised by host_lock. The FILEs, and
# any added later with cleanup_later, are removed on exit.
begin_apply() {
  kh_cleanup="$*"
  trap '' HUP PIPE
  exec 8>&1
  kh_buf=$(mktemp) || exit 70
  exec 1>"$kh_buf"
  trap 'cat "$kh_buf" >&8 2>/dev/null; rm -f $kh_cleanup "$kh_buf"' EXIT
  host_lock
}
cleanup_later() { kh_cleanup="$kh_cleanup $*"; }
# remove_stale_temps DEST: temp files that an interrupted atomic_write of DEST left behind
remove_stale_temps() { for f in "$(dirname "$1")/.$(basename "$1").kh-"*; do [ -e "$f" ] && rm -f "$f"; done; return 0; }
# is_ours FILE HEADER: FILE's first line is HEADER (our files start with a "Managed by Pulumi" line)
is_ours() { [ "$(head -n 1 "$1" 2>/dev/null)" = "$2" ]; }
# keep_original FILE BACKUP: before a file that is not ours is taken over (adopt), a copy of it as
# it is (a symlink stays a symlink, mode and owner kept) goes to BACKUP, once: a retried apply
# finds the file already ours and the first copy kept.
keep_original() {
  [ -e "$2" ] || [ -L "$2" ] && return 0
  mkdir -p "$(dirname "$2")" || return 1
  ko_tmp="$2.kh-tmp"
  rm -f "$ko_tmp"
  cp -P -p "$1" "$ko_tmp" && sync "$(dirname "$2")" && mv -f "$ko_tmp" "$2" && { sync "$(dirname "$2")" 2>/dev/null || sync; }
}
# restore_original FILE BACKUP: puts a copy kept by keep_original back in FILE's place, atomically.
restore_original() {
  ro_tmp="$(dirname "$1")/.$(basename "$1").kh-orig"
  rm -f "$ro_tmp"
  cp -P -p "$2" "$ro_tmp" && mv -f "$ro_tmp" "$1" && { sync "$(dirname "$1")" 2>/dev/null || sync; } && rm -f "$2"
}
