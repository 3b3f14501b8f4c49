# Shared helpers for the project's scripts (sourced, not run).
# Caches live outside the repository so a fresh clone reuses them.
KH_CACHE="${KH_CACHE:-$HOME/.cache/kernel-hardening}"
mkdir -p "$KH_CACHE"

log() { printf '\033[1m[%s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# content_key FILE... : short hash of the given files, used to key caches
content_key() { cat "$@" | sha256sum | cut -c1-16; }

# with_progress LABEL CMD... : run a long command, printing a heartbeat so the person waiting sees it move
with_progress() {
  local label="$1"; shift
  local start=$SECONDS
  "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    kill -0 "$pid" 2>/dev/null && log "$label: still working ($((SECONDS - start)) s)"
  done
  wait "$pid"
}

# apt_install ARGS...: apt-get install -y ARGS without starting any service a package ships
# (openssh-server's sshd: the tests and the bench run sshd's of their own); the guard goes on failure too.
apt_install() {
  local made=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" || rc=$?
  [ $made = 0 ] || rm -f /usr/sbin/policy-rc.d
  return $rc
}
