#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for the demo and the tests: QEMU and the image
# tools from Debian's packages, the Pulumi CLI (built from the Go module proxy), npm dependencies,
# and the cached VM image. Each step is skipped when already done, so it costs seconds when warm.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
cd "$here/.."

APT_PACKAGES=(qemu-system-x86 qemu-utils debootstrap e2fsprogs grub-pc-bin grub-common xorriso mtools openssh-client python3 socat shellcheck dash
  ovmf dosfstools fdisk)  # the last three: the UEFI test image (firmware, ESP, GPT)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

lock_hash=$(content_key package-lock.json)
if [ ! -f node_modules/.kh-lock-hash ] || [ "$(cat node_modules/.kh-lock-hash)" != "$lock_hash" ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.kh-lock-hash
fi

export KH_PULUMI_DIR; KH_PULUMI_DIR=$(bash "$here/build-pulumi-cli.sh")
export KH_VM_IMAGE_DIR; KH_VM_IMAGE_DIR=$(bash "$here/build-vm-image.sh" debian12)
# The platform matrix's images (Debian 13 BIOS/GRUB and UEFI/systemd-boot), when asked for
if [ "${KH_PLATFORMS:-0}" = 1 ]; then
  export KH_VM_IMAGE_DIR_DEBIAN13; KH_VM_IMAGE_DIR_DEBIAN13=$(bash "$here/build-vm-image.sh" debian13)
  export KH_VM_IMAGE_DIR_DEBIAN13_UEFI; KH_VM_IMAGE_DIR_DEBIAN13_UEFI=$(bash "$here/build-vm-image.sh" debian13-uefi)
fi
log "building the provider (tsc)"
npm run --silent build
