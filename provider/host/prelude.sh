# shellcheck shell=sh
# The prelude of every remote script (see scripts.ts): record output, atomic writes, the host lock,
# complete input only, and the cut-safe apply.
set -u
umask 022
TAB=$(printf '\t')
emit() { ( IFS="$TAB"; printf '%s\n' "$*" ); }
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
# host_lock: serialises changes to this host across provider processes and stacks. flock(1) drops
# the lock when its holder dies, so a crashed apply never blocks the next one; a live holder is
# waited for at most 120 s, then the apply fails naming it (exit 75, see ssh/pool.ts).
host_lock() {
  mkdir -p /run/lock 2>/dev/null
  exec 9>>/run/lock/kernelhardening.lock || return 0
  if command -v flock >/dev/null 2>&1; then
    if ! flock -w 120 9; then
      printf 'kernelhardening: host lock busy: %s\n' "$(cat /run/lock/kernelhardening.owner 2>/dev/null || echo unknown holder)" >&2
      exit 75
    fi
  fi
  printf 'pid %s since %s\n' "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > /run/lock/kernelhardening.owner
}
# read_input FILE: stdin -> FILE without its last line, which must be END (records.ts): input that a
# lost connection cut short is refused (exit 65) before anything is touched.
read_input() {
  cat > "$1" || exit 65
  if [ "$(tail -n 1 "$1")" != END ]; then echo "kernelhardening: incomplete input (the connection was lost?)" >&2; exit 65; fi
  sed -i '$d' "$1"
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
