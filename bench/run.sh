#!/usr/bin/env bash
# The fleet benchmark: sets the machine up, starts the simulated fleet, runs bench.ts, writes the
# report, and tears everything down (also on failure or Ctrl-C).
#
#   bench/run.sh                 N in {1,10,50} x latency in {0,25} ms, 3 runs of each scenario
#   bench/run.sh --quick         N in {1,10} x {0,25} ms, 1 run each (a smoke run, not for RESULTS.md)
#   bench/run.sh --hosts 1,10 --latency 25 --reps 5 --tools ours,ansible
#   bench/run.sh --pyinfra-max-n 10   the full run without pyinfra at N = 50 (saves ~40 min here)
#   bench/run.sh --hosts 1,10 --latency 25 --tools ours,ansible --ansible-max-n 5 --slices 2 --knobs
#                                     Ansible only up to N = 5; examples/fleet with 2 stacks against 1;
#                                     the engine's knobs (PULUMI_SKIP_CHECKPOINTS, default --parallel, the
#                                     TypeScript program through ts-node instead of the precompiled one, the
#                                     provider's memory settings); --knobs max-connections-64,heap-v8-default: only those
#   bench/run.sh --hosts 1,50,200,500 --latency 25 --reps 3 --reps-large 1 --tools ours,ansible --ansible-max-n 200 --slices 10
#                                     the large-N run: 3 repetitions at N < 200, 1 at N >= 200 (--large-n),
#                                     Ansible up to N = 200, examples/fleet's 10 stacks against 1 at the largest N
#   bench/run.sh --program ts    the stacks' program as TypeScript (ts-node) instead of tsc output
#   bench/run.sh --provider tsc  the engine runs `node dist/provider/main.js` (tsc output) instead of the
#                                     single executable that `npm run dist` packs (the release plugin, default)
#
# Needs root (network and mount namespaces). Results: bench/out/ (table, chart, raw JSON, logs)
# and bench/RESULTS.md (full runs only).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
source "$root/scripts/lib.sh"

hosts=1,10,50 latency=0,25 reps=3 reps_large=1000000 large_n=200 tools=ours,ansible,pyinfra quick=0 pyinfra_max_n=1000000 ansible_max_n=1000000
slices=0 knobs=() program=js provider=sea
export KH_BENCH_COMMAND="bench/run.sh${*:+ $*}" # quoted in the report
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 hosts=1,10 reps=1; shift ;;
    --hosts) hosts=$2; shift 2 ;;
    --latency) latency=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --reps-large) reps_large=$2; shift 2 ;;
    --large-n) large_n=$2; shift 2 ;;
    --tools) tools=$2; shift 2 ;;
    --pyinfra-max-n) pyinfra_max_n=$2; shift 2 ;;
    --ansible-max-n) ansible_max_n=$2; shift 2 ;;
    --slices) slices=$2; shift 2 ;;
    --knobs) knobs=(--knobs); shift
      # an optional list of knob names (bench.ts's Knob type): only those
      if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then knobs+=("$1"); shift; fi ;;
    --program) program=$2; shift 2 ;;
    --provider) provider=$2; shift 2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run as root: the fleet uses network and mount namespaces"
# sshd's of host i listen (through socat) on 127.0.0.1:PORT_BASE+i, the delay proxy on +1000.
# Below the ephemeral range, so no outgoing connection on this machine can hold one of them.
port_base=${KH_BENCH_PORT_BASE:-27100}

# --- packages --------------------------------------------------------------------------------
need=()
for p in openssh-server socat ansible iproute2 procps util-linux time; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  { apt-get update -qq && apt_install -qq "${need[@]}"; } >&2 || die "apt-get install failed"
fi
# Debian's `ansible` package ships the ansible.posix collection the peer playbook uses.
ansible-galaxy collection list ansible.posix 2>/dev/null | grep -q '^ansible.posix' || die "ansible.posix collection not found"
# pyinfra (the second peer) and matplotlib (the chart) from PyPI, in a venv of the bench.
if ! "$here/.venv/bin/python" -c 'import pyinfra, matplotlib' 2>/dev/null; then
  log "creating bench/.venv (pyinfra, matplotlib)"
  /usr/bin/python3 -m venv "$here/.venv" 2>/dev/null || { apt-get install -y -qq python3-venv >&2 && /usr/bin/python3 -m venv "$here/.venv"; }
  "$here/.venv/bin/pip" install -q pyinfra matplotlib >&2
fi

# --- the Pulumi CLI (cached by the project's script) and the provider -------------------------
KH_PULUMI_DIR=$(bash "$root/scripts/build-pulumi-cli.sh")
export KH_PULUMI_DIR
log "building the provider (dist/)"
(cd "$root" && npm run --silent build)
case "$provider" in
  sea)
    # The release plugin users install: one executable (bundled provider, Node.js, V8 code cache).
    log "packing the release plugin (npm run dist)"
    release=$(cd "$root" && npm run --silent dist)
    rm -rf "$here/out/plugin-sea"; mkdir -p "$here/out/plugin-sea"
    tar -xzf "$release"/pulumi-resource-kernelhardening-v*-linux-amd64.tar.gz -C "$here/out/plugin-sea"
    export KH_BENCH_PROVIDER="$here/out/plugin-sea/pulumi-resource-kernelhardening" ;;
  tsc) unset KH_BENCH_PROVIDER ;;
  *) die "--provider is sea or tsc" ;;
esac

# --- the fleet ---------------------------------------------------------------------------------
# Each tool gets its own max(N) hosts (Ansible and pyinfra at most their --*-max-n), so their runs
# can alternate (see bench.ts).
top=$(tr ',' '\n' <<<"$hosts" | sort -n | tail -1) max_n=0
for t in $(tr ',' ' ' <<<"$tools"); do
  c=$top
  [ "$t" = ansible ] && [ "$ansible_max_n" -lt "$c" ] && c=$ansible_max_n
  [ "$t" = pyinfra ] && [ "$pyinfra_max_n" -lt "$c" ] && c=$pyinfra_max_n
  max_n=$((max_n + c))
done
fleet=$(mktemp -d /var/tmp/kh-bench.XXXXXX)
cleanup() { log "tearing the fleet down"; bash "$here/fleet.sh" down "$fleet" || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "starting $max_n hosts in $fleet"
bash "$here/fleet.sh" up "$fleet" "$max_n" "$port_base"

# --- run and report ------------------------------------------------------------------------------
cd "$root"
npx tsx "$here/bench.ts" --fleet "$fleet" --hosts "$hosts" --latency "$latency" --reps "$reps" --reps-large "$reps_large" --large-n "$large_n" --tools "$tools" --pyinfra-max-n "$pyinfra_max_n" \
  --ansible-max-n "$ansible_max_n" --slices "$slices" --program "$program" "${knobs[@]}"
report_args=()
[ "$quick" = 1 ] && report_args+=(--no-results-md)
npx tsx "$here/report.ts" "${report_args[@]}"
