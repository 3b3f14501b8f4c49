#!/usr/bin/env bash
# The simulated fleet: N hosts, each a real sshd with its own host key in its own network namespace
# (so net.* sysctls are per host) and its own mount namespace (so /etc/sysctl.d, /run/lock,
# /run/kernelhardening (the host lock), /var/lib/kernelhardening, /root and /tmp are per host, although all hosts share this machine's
# filesystem). sshd listens on the namespace's loopback only; socat bridges it through a Unix socket
# to 127.0.0.1:<port> outside. Nothing listens on any address but loopback.
#
#   fleet.sh up DIR N SSH_PORT_BASE    hosts h1..hN; host i reachable on 127.0.0.1:SSH_PORT_BASE+i
#   fleet.sh down DIR                  kills what `up` started, deletes the namespaces, removes DIR
#
# DIR must not be under /tmp (each host gets its own /tmp). DIR/fleet.json describes the hosts (port, host key, namespace, per-host directories) for bench.ts.
set -euo pipefail

cmd=${1:?usage: fleet.sh up DIR N PORT_BASE | down DIR}
dir=${2:?DIR}

# Processes are recorded by pid (never looked up by name) so `down` ends only what `up` started.
down() {
  [ -d "$dir" ] || return 0
  if [ -f "$dir/pids" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$dir/pids"
    sleep 0.3
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < "$dir/pids"
  fi
  # Session processes of a dead sshd keep a namespace busy: end those that live in our namespaces.
  if [ -f "$dir/namespaces" ]; then
    while read -r ns; do
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    done < "$dir/namespaces"
  fi
  # The mountpoint we created on the real root for the per-host /var/lib/kernelhardening binds.
  if [ -f "$dir/created-var-lib" ]; then rmdir /var/lib/kernelhardening 2>/dev/null || true; fi
  if [ -f "$dir/created-run-kh" ]; then rmdir /run/kernelhardening 2>/dev/null || true; fi
  rm -rf "$dir"
}

wait_port() { # wait_port PORT: until something accepts on 127.0.0.1:PORT (bash's /dev/tcp)
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "fleet: nothing listens on 127.0.0.1:$1" >&2; return 1
}

up() {
  local n=${3:?N} base=${4:?PORT_BASE}
  local prefix="khb$$"
  mkdir -p "$dir"
  : > "$dir/pids"; : > "$dir/namespaces"
  # Ports must be free before we start: a collision with someone else's listener would send our
  # traffic to their process.
  for i in $(seq 1 "$n"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$((base + i))") 2>/dev/null; then echo "fleet: port $((base + i)) is in use" >&2; exit 1; fi
  done
  # sshd's privilege separation directory, and the mountpoint for per-host state dirs.
  mkdir -p /run/sshd
  if [ ! -d /var/lib/kernelhardening ]; then mkdir /var/lib/kernelhardening; touch "$dir/created-var-lib"; fi
  # The host lock's directory (prelude.sh host_lock): per host, or all hosts' applies would queue on one lock.
  if [ ! -d /run/kernelhardening ]; then mkdir -m 0700 /run/kernelhardening; touch "$dir/created-run-kh"; fi
  # One bench client key for every host (root login by key only).
  ssh-keygen -q -t ed25519 -N '' -C kh-bench -f "$dir/client_key"
  local json="["
  for i in $(seq 1 "$n"); do
    local h="$dir/h$i" ns="$prefix-h$i" port=$((base + i))
    mkdir -p "$h/etc-sysctl.d" "$h/run-lock" "$h/var-lib-kh" "$h/root/.ssh" "$h/tmp"
    mkdir -m 0700 "$h/run-kh"
    chmod 700 "$h/root" "$h/root/.ssh"; chmod 1777 "$h/tmp"
    cp -a /etc/sysctl.d/. "$h/etc-sysctl.d/" # the machine's stock drop-ins, as a real host has
    cp "$dir/client_key.pub" "$h/root/.ssh/authorized_keys"
    ssh-keygen -q -t ed25519 -N '' -C "h$i" -f "$h/ssh_host_ed25519_key"
    cat > "$h/sshd_config" <<EOF
Port 22
ListenAddress 127.0.0.1
HostKey $h/ssh_host_ed25519_key
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
# Ansible and the provider open several channels per connection; all hosts start at once.
MaxSessions 32
MaxStartups 200
# VERBOSE logs one "Starting session" line per remote command: the bench counts them per host.
LogLevel VERBOSE
UseDNS no
Subsystem sftp internal-sftp
EOF
    ip netns add "$ns"
    echo "$ns" >> "$dir/namespaces"
    ip netns exec "$ns" ip link set lo up
    # Inside the namespace: sshd in a private mount namespace with the per-host directories bound.
    ip netns exec "$ns" unshare --mount --propagation private sh -c '
      h=$1
      mount --bind "$h/etc-sysctl.d" /etc/sysctl.d
      mount --bind "$h/run-lock" /run/lock
      mount --bind "$h/run-kh" /run/kernelhardening
      mount --bind "$h/var-lib-kh" /var/lib/kernelhardening
      mount --bind "$h/root" /root
      mount --bind "$h/tmp" /tmp
      exec /usr/sbin/sshd -D -E "$h/sshd.log" -f "$h/sshd_config"' sh "$h" &
    echo $! >> "$dir/pids"
    # The bridge: a Unix socket that the namespace's socat listens on (it sees the host's /tmp,
    # not the per-host one) and a loopback TCP port outside.
    ip netns exec "$ns" socat "UNIX-LISTEN:$h/ssh.sock,fork" TCP:127.0.0.1:22 2>>"$h/socat.log" &
    echo $! >> "$dir/pids"
    for _ in $(seq 1 100); do [ -S "$h/ssh.sock" ] && break; sleep 0.02; done
    socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$h/ssh.sock" 2>>"$h/socat.log" &
    echo $! >> "$dir/pids"
    local hostkey; hostkey=$(cut -d' ' -f1-2 "$h/ssh_host_ed25519_key.pub")
    if [ "$i" -gt 1 ]; then json+=","; fi
    json+="{\"name\":\"h$i\",\"ns\":\"$ns\",\"port\":$port,\"hostKey\":\"$hostkey\",\"dir\":\"$h\"}"
  done
  echo "$json]" > "$dir/fleet.json"
  for i in $(seq 1 "$n"); do wait_port $((base + i)); done
  # An SSH banner from every host proves the whole path (socat, Unix socket, socat, sshd).
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 100); do
      banner=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$((base + i)); head -c 4 <&3" 2>/dev/null || true)
      [ "$banner" = "SSH-" ] && break; sleep 0.05
    done
    [ "$banner" = "SSH-" ] || { echo "fleet: host h$i gives no SSH banner" >&2; exit 1; }
  done
}

case "$cmd" in
  # A failed `up` leaves nothing behind.
  up) trap '[ "${ok:-}" = 1 ] || down' EXIT; up "$@"; ok=1 ;;
  down) down ;;
  *) echo "usage: fleet.sh up DIR N PORT_BASE | down DIR" >&2; exit 2 ;;
esac
