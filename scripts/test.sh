#!/usr/bin/env bash
# The whole test suite: type checks, unit tests, then end-to-end tests with the real Pulumi CLI
# against a real Debian 12 VM. Installs what is missing first (see install-deps.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# KH_PLATFORMS=0 skips the platform matrix (Debian 13 BIOS/GRUB and UEFI/systemd-boot) and its images.
export KH_PLATFORMS="${KH_PLATFORMS:-1}"
source "$here/install-deps.sh"

log "type-checking tests, schema and SDK"
npx tsc -p tsconfig.test.json
npx tsc -p tsconfig.examples.json
log "schema.json and the SDK are up to date"
npx tsx schema/check.ts
log "shellcheck over every remote script (each file alone; test/unit/scripts checks them as sent)"
# SC2034/SC2154: names a file defines for, or takes from, the files it is sent with
find provider -name '*.sh' -print0 | xargs -0 shellcheck -s sh -e SC2034,SC2154
log "unit tests"
npx jest --selectProjects unit
log "end-to-end tests (real VM, real Pulumi CLI; one at a time on a shared, snapshotted VM)"
npx jest --selectProjects e2e --runInBand --forceExit
if [ "$KH_PLATFORMS" = 1 ]; then
  log "platform matrix: every resource's core on Debian 13 BIOS/GRUB and Debian 13 UEFI/systemd-boot (a VM each)"
  npx jest --selectProjects platforms --runInBand --forceExit
fi
leftover=$(pgrep -f 'kh-test-' || true)
[ -z "$leftover" ] || { pgrep -af 'kh-test-' >&2; die "processes of the test run are still running"; }
log "all tests passed"
