#!/usr/bin/env bash
# The whole test suite: type checks, unit tests, then end-to-end tests with the real Pulumi CLI
# against a real Debian 12 VM. Installs what is missing first (see install-deps.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# KH_PLATFORMS=0 skips the platform matrix (Debian 13 BIOS/GRUB and UEFI/systemd-boot) and its images.
export KH_PLATFORMS="${KH_PLATFORMS:-1}"
# KH_SUITE=full (npm run test:full) also runs what CI leaves to the matrix's other cells: the UEFI
# host's tests that do not depend on the boot loader (Debian 13 BIOS runs them on the same kernel and
# packages) and the Debian 12 reboots (HostReboot, the rolling reboot; Debian 13 BIOS reboots through
# the same GRUB code). CI runs the default, sized for 2 cores (see README, Tests).
export KH_SUITE="${KH_SUITE:-ci}"
case "$KH_SUITE" in ci|full) ;; *) echo "KH_SUITE must be ci or full, not $KH_SUITE" >&2; exit 2 ;; esac
source "$here/install-deps.sh"

log "type-checking tests, schema and SDK"
npx tsc -p tsconfig.test.json
npx tsc -p tsconfig.examples.json
log "schema.json and the SDKs (sdk/) are up to date"
npx tsx schema/check.ts
log "shellcheck over every remote script (each file alone; test/unit/scripts checks them as sent)"
# SC2034/SC2154: names a file defines for, or takes from, the files it is sent with
find provider -name '*.sh' -print0 | xargs -0 shellcheck -s sh -e SC2034,SC2154
log "ESLint (typescript-eslint) and knip (unused files, exports and dependencies)"
npx eslint .
npx knip
log "unit tests"
npx jest --selectProjects unit
# install-deps.sh built the provider: the jest runs below must not rebuild dist/ at the same time.
export KH_PROVIDER_BUILT=1
# Runs side by side, each with VMs of its own: the two halves of the e2e suite (KH_E2E_PART, see
# jest.config.js) and the platform matrix; the full suite adds the Debian 12 reboots. CI is CPU-bound
# (QEMU's TCG keeps a core busy per running guest): three runs on 2 cores, so each keeps its VM's
# timeouts. The logs of the runs in the background follow the first half's.
pids=(); logs=(); names=()
background() { # NAME CMD...
  local log; log=$(mktemp)
  names+=("$1"); shift
  # Each run's wall time goes next to its log, so the summary can say which run is CI's long pole.
  ( start=$SECONDS; rc=0; "$@" || rc=$?; echo $((SECONDS - start)) >"$log.time"; exit $rc ) >"$log" 2>&1 &
  pids+=($!); logs+=("$log")
}
if [ "$KH_PLATFORMS" = 1 ]; then
  uefi_scope="what depends on the boot loader"; [ "$KH_SUITE" = full ] && uefi_scope="every resource"
  log "platform matrix (in the background): Debian 13 BIOS/GRUB, every resource; Debian 13 UEFI/systemd-boot, $uefi_scope"
  background "platform matrix" npx jest --selectProjects platforms --runInBand --forceExit --verbose test/e2e/platforms-
  if [ "$KH_SUITE" = full ]; then
    log "reboots through GRUB on Debian 12 VMs of their own (in the background): HostReboot, the rolling reboot"
    background "reboots" npx jest --selectProjects platforms --runInBand --forceExit --verbose 'test/e2e/reboot\.test\.ts$'
  fi
fi
log "end-to-end tests, second half (in the background): faults, packaging, hostile hosts, sudo, import, cuts, ..."
background "end-to-end tests, second half" env KH_E2E_PART=b npx jest --selectProjects e2e --runInBand --forceExit --verbose
log "end-to-end tests, first half (real VM, real Pulumi CLI; one at a time on a shared, snapshotted VM)"
failed=()
fg_start=$SECONDS
KH_E2E_PART=a npx jest --selectProjects e2e --runInBand --forceExit --verbose || failed+=("end-to-end tests, first half")
durations=("end-to-end tests, first half: $((SECONDS - fg_start)) s")
for i in "${!pids[@]}"; do
  status=0
  wait "${pids[$i]}" || status=$?
  log "${names[$i]}: output"
  cat "${logs[$i]}"
  durations+=("${names[$i]}: $(cat "${logs[$i]}.time" 2>/dev/null || echo '?') s")
  rm -f "${logs[$i]}" "${logs[$i]}.time"
  [ "$status" = 0 ] || failed+=("${names[$i]}")
done
log "wall time of each end-to-end run (they ran side by side): ${durations[*]}"
[ ${#failed[@]} = 0 ] || die "failed: ${failed[*]}"
leftover=$(pgrep -f 'kh-test-' || true)
[ -z "$leftover" ] || { pgrep -af 'kh-test-' >&2; die "processes of the test run are still running"; }
log "all tests passed"
