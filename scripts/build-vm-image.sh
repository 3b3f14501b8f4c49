#!/usr/bin/env bash
# Builds a test host image (debootstrap minbase, Debian's cloud kernel) and caches it outside the repo.
# Usage: build-vm-image.sh [PLATFORM]   (default $KH_PLATFORM, else debian12)
#   debian12       Debian 12 bookworm, kernel 6.1, BIOS + GRUB, ext4 on the whole disk
#   debian13       Debian 13 trixie, kernel 6.12, BIOS + GRUB, ext4 on the whole disk
#   debian13-uefi  Debian 13 trixie, kernel 6.12, UEFI (OVMF) + systemd-boot, GPT: ESP + ext4; no GRUB
# Prints the cache directory on stdout. It holds:
#   base.qcow2                 the disk; its boot configuration is generated in the guest (first boot)
#   boot                       "bios" or "uefi": how the harness boots it
#   vmlinuz, initrd.img        the image's own kernel and initrd, for direct boots
#   rescue.iso                 bios: a GRUB ISO that boots the disk through the guest's own /boot/grub/grub.cfg
#   OVMF_CODE.fd, efivars.qcow2  uefi: the firmware and its variables after `bootctl install` (copied per VM)
#   id_ed25519{,.pub}          the key accepted for root and for the sudo user `kh`
#   ssh_host_ed25519_key.pub   the guest's host key, so tests can pin it
#   cmdline                    kernel parameters for direct boots
# The cache is keyed by the platform and the content of this script and of vm-firstboot.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"

platform="${1:-${KH_PLATFORM:-debian12}}"
COMMON=openssh-server,linux-image-cloud-amd64,systemd-sysv,udev,kmod,procps,apt,sudo,ifupdown,iproute2,apt-utils,xz-utils,zstd
case "$platform" in
  debian12) suite=bookworm boot=bios name=vm-bookworm PACKAGES=$COMMON,isc-dhcp-client,grub2-common ;;
  debian13) suite=trixie boot=bios name=vm-trixie PACKAGES=$COMMON,grub2-common ;;
  debian13-uefi) suite=trixie boot=uefi name=vm-trixie-uefi PACKAGES=$COMMON,systemd-boot,systemd-boot-efi,dosfstools ;;
  *) die "unknown platform '$platform' (debian12, debian13, debian13-uefi)" ;;
esac
key=$(content_key "$here/build-vm-image.sh" "$here/vm-firstboot.sh")
out="$KH_CACHE/$name-$key"
if [ -f "$out/ready" ]; then echo "$out"; exit 0; fi
# Stdout carries only the image folder (callers capture it): every tool's chatter goes to stderr.
exec 3>&1 1>&2
[ "$(id -u)" = 0 ] || die "building the VM image needs root (debootstrap, chroot)"
tools=(debootstrap mkfs.ext4 qemu-img qemu-system-x86_64 ssh-keygen)
[ "$boot" = bios ] && tools+=(grub-mkrescue) || tools+=(sfdisk mkfs.vfat mcopy)
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null || die "missing $t: run scripts/install-deps.sh"
done
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
[ "$boot" = bios ] || [ -f "$OVMF_CODE" ] || die "missing $OVMF_CODE: run scripts/install-deps.sh (package ovmf)"

MIRROR="${KH_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
build="$out.build"
rm -rf "$build"; mkdir -p "$build"
root="$build/root"
trap 'umount -R "$root/proc" "$root/sys" "$root/dev" 2>/dev/null || true' EXIT

log "debootstrap $suite (minbase + cloud kernel; about a minute)"
with_progress "debootstrap" debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$root" "$MIRROR" >"$build/debootstrap.log" 2>&1 \
  || { tail -20 "$build/debootstrap.log" >&2; die "debootstrap failed (log: $build/debootstrap.log)"; }

log "configuring the guest"
ssh-keygen -q -t ed25519 -N '' -C kernel-hardening-test -f "$build/id_ed25519"
echo kh-test > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 kh-test\n' > "$root/etc/hosts"
if [ "$boot" = bios ]; then
  rootdev=/dev/vda
  echo '/dev/vda / ext4 errors=remount-ro 0 1' > "$root/etc/fstab"
else
  rootdev=/dev/vda2
  printf '/dev/vda2 / ext4 errors=remount-ro 0 1\n/dev/vda1 /boot/efi vfat umask=0077 0 2\n' > "$root/etc/fstab"
  mkdir -p "$root/boot/efi"
fi
cat > "$root/etc/network/interfaces" <<'NET'
auto lo
iface lo inet loopback
# QEMU user-mode network: static, so boot does not wait for DHCP
auto eth0
iface eth0 inet static
  address 10.0.2.15/24
  gateway 10.0.2.2
NET
echo 'nameserver 10.0.2.3' > "$root/etc/resolv.conf"
install -d -m 700 "$root/root/.ssh"
install -m 600 "$build/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
chroot "$root" useradd -m -s /bin/bash kh
install -d -m 700 -o 1000 -g 1000 "$root/home/kh/.ssh"
install -m 600 -o 1000 -g 1000 "$build/id_ed25519.pub" "$root/home/kh/.ssh/authorized_keys"
echo 'kh ALL=(ALL) NOPASSWD: ALL' > "$root/etc/sudoers.d/kh"; chmod 440 "$root/etc/sudoers.d/kh"
# A second user whose sudo asks for a password (tests of the "sudo wants a password" error)
chroot "$root" useradd -m -s /bin/bash khpw
echo 'khpw:khpw-password' | chroot "$root" chpasswd
install -d -m 700 -o 1001 -g 1001 "$root/home/khpw/.ssh"
install -m 600 -o 1001 -g 1001 "$build/id_ed25519.pub" "$root/home/khpw/.ssh/authorized_keys"
echo 'khpw ALL=(ALL) ALL' > "$root/etc/sudoers.d/khpw"; chmod 440 "$root/etc/sudoers.d/khpw"
cat > "$root/etc/ssh/sshd_config.d/kh-test.conf" <<'SSH'
PermitRootLogin yes
PasswordAuthentication yes
UseDNS no
MaxStartups 100:30:200
MaxSessions 100
SSH
echo 'root:kh-root-password' | chroot "$root" chpasswd
# No dynamic motd: pam_motd ran /etc/update-motd.d on every SSH login, a third of a login's CPU under
# QEMU's TCG (0.8 -> 0.5 s), and the tests log in thousands of times.
sed -i '/pam_motd\.so/s/^/# kh-test: /' "$root/etc/pam.d/sshd"
# Nothing periodic may change the host under a test
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$u"
done
ln -sf /dev/null "$root/etc/systemd/system/systemd-timesyncd.service"
cmdline="root=$rootdev rw console=ttyS0 net.ifnames=0"
if [ "$boot" = bios ]; then
  mkdir -p "$root/etc/default"
  cat > "$root/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0 net.ifnames=0"
GRUB_TERMINAL=console
GRUB_DISABLE_OS_PROBER=true
GRUB
else
  # kernel-install (systemd-boot's entries) takes the kernel's parameters from here
  echo "$cmdline" > "$root/etc/kernel/cmdline"
fi
install -m 755 "$here/vm-firstboot.sh" "$root/usr/local/sbin/kh-firstboot"
cp "$root/etc/ssh/ssh_host_ed25519_key.pub" "$build/ssh_host_ed25519_key.pub"
kver=$(basename "$(ls -d "$root"/lib/modules/* | sort -V | tail -n1)")
cp "$root/boot/vmlinuz-$kver" "$build/vmlinuz"; cp "$root/boot/initrd.img-$kver" "$build/initrd.img"
echo "$cmdline" > "$build/cmdline"
echo "$boot" > "$build/boot"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*_Packages

if [ "$boot" = bios ]; then
  log "making the disk (ext4 from the folder, qcow2)"
  mkfs.ext4 -q -L khroot -d "$root" "$build/disk.raw" 3G
else
  log "making the disk (GPT: 256 MiB EFI system partition + ext4 from the folder, qcow2)"
  # Assembled from filesystem images at fixed offsets (MiB): no loop devices, no mounts.
  esp_mib=256 root_mib=3072
  mkfs.vfat -F 32 -n ESP -C "$build/esp.raw" $((esp_mib * 1024)) >/dev/null
  mkfs.ext4 -q -L khroot -d "$root" "$build/root.raw" "${root_mib}M"
  truncate -s $((1 + esp_mib + root_mib + 1))M "$build/disk.raw"
  sfdisk -q "$build/disk.raw" <<SFDISK
label: gpt
start=1MiB, size=${esp_mib}MiB, type=uefi, name=esp
start=$((1 + esp_mib))MiB, size=${root_mib}MiB, type=linux, name=root
SFDISK
  dd if="$build/esp.raw" of="$build/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
  dd if="$build/root.raw" of="$build/disk.raw" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none
  rm -f "$build/esp.raw" "$build/root.raw"
fi
qemu-img convert -f raw -O qcow2 "$build/disk.raw" "$build/base.qcow2"
rm -f "$build/disk.raw"; rm -rf "$root"

firmware=()
if [ "$boot" = bios ]; then
  log "making the GRUB rescue ISO (boots the guest's own grub.cfg)"
  mkdir -p "$build/iso/boot/grub"
  printf 'set timeout=0\ninsmod ext2\nconfigfile (hd0)/boot/grub/grub.cfg\n' > "$build/iso/boot/grub/grub.cfg"
  grub-mkrescue -o "$build/rescue.iso" "$build/iso" >/dev/null 2>&1 || die "grub-mkrescue failed"
  rm -rf "$build/iso"
  log "first boot: generating the guest's GRUB config (about 30 s)"
else
  cp "$OVMF_CODE" "$build/OVMF_CODE.fd"
  # qcow2, so QEMU can savevm a VM whose variables are writable
  qemu-img convert -f raw -O qcow2 "$OVMF_VARS" "$build/efivars.qcow2"
  firmware=(-drive if=pflash,format=raw,unit=0,readonly=on,file="$build/OVMF_CODE.fd"
    -drive if=pflash,format=qcow2,unit=1,file="$build/efivars.qcow2")
  log "first boot under OVMF: bootctl install, kernel-install of the boot entry (about a minute)"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nographic -no-reboot \
  -drive file="$build/base.qcow2",if=virtio,format=qcow2 "${firmware[@]}" \
  -kernel "$build/vmlinuz" -initrd "$build/initrd.img" -append "$cmdline systemd.unit=multi-user.target" \
  -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22 -device virtio-net-pci,netdev=n0 \
  >"$build/firstboot.log" 2>&1 &
qpid=$!
ok=
for _ in $(seq 1 150); do
  if ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 \
      -i "$build/id_ed25519" -p "$port" root@127.0.0.1 /usr/local/sbin/kh-firstboot >>"$build/firstboot.log" 2>&1; then ok=1; break; fi
  kill -0 $qpid 2>/dev/null || break
  sleep 2
done
wait $qpid || true
[ -n "$ok" ] || { tail -30 "$build/firstboot.log" >&2; die "first boot failed (log: $build/firstboot.log)"; }
echo "$platform" > "$build/platform"
touch "$build/ready"
rm -rf "$out"; mv "$build" "$out"
log "VM image ($platform) ready in $out"
echo "$out" >&3
