#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for the demo and the tests: QEMU and the image
# tools from Debian's packages, the Pulumi CLI (built from the Go module proxy), npm dependencies,
# and the cached VM image. Each step is skipped when already done, so it costs seconds when warm.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
cd "$here/.."

APT_PACKAGES=(qemu-system-x86 qemu-utils debootstrap e2fsprogs grub-pc-bin grub-common xorriso mtools openssh-client python3 socat shellcheck dash chromium xz-utils
  ovmf dosfstools fdisk  # the UEFI test image (firmware, ESP, GPT)
  openssh-server iproute2 util-linux)  # the fleet e2e test's sshd's in network namespaces (bench/fleet.sh)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -q >/dev/null
  apt_install -q --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install failed"
fi

lock_hash=$(content_key package-lock.json)
if [ ! -f node_modules/.kh-lock-hash ] || [ "$(cat node_modules/.kh-lock-hash)" != "$lock_hash" ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.kh-lock-hash
fi

# The VM images are built (one at a time) while the Go builds below compile: debootstrap spends much
# of its time on the mirror and the disk, so on a cold machine the two overlap instead of adding up.
# The platform matrix's images (Debian 13 BIOS/GRUB and UEFI/systemd-boot) only when asked for.
images=(debian12)
[ "${KH_PLATFORMS:-0}" = 1 ] && images+=(debian13 debian13-uefi)
image_dirs=$(mktemp -d)
( for p in "${images[@]}"; do bash "$here/build-vm-image.sh" "$p" > "$image_dirs/$p" || exit 1; done ) &
images_pid=$!
trap 'kill "$images_pid" 2>/dev/null || true' EXIT
export KH_PULUMI_DIR; KH_PULUMI_DIR=$(bash "$here/build-pulumi-cli.sh")
export KH_SDK_TOOLS_DIR; KH_SDK_TOOLS_DIR=$(bash "$here/build-sdk-tools.sh")
wait "$images_pid" || die "building the VM images failed (above)"
trap - EXIT
export KH_VM_IMAGE_DIR; KH_VM_IMAGE_DIR=$(cat "$image_dirs/debian12")
if [ "${KH_PLATFORMS:-0}" = 1 ]; then
  export KH_VM_IMAGE_DIR_DEBIAN13; KH_VM_IMAGE_DIR_DEBIAN13=$(cat "$image_dirs/debian13")
  export KH_VM_IMAGE_DIR_DEBIAN13_UEFI; KH_VM_IMAGE_DIR_DEBIAN13_UEFI=$(cat "$image_dirs/debian13-uefi")
fi
rm -rf "$image_dirs"
log "building the provider (tsc)"
npm run --silent build
