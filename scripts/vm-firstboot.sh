#!/bin/sh
# Runs once inside the guest while the image is built, then powers off. It generates the boot
# configuration the way a real host of its kind has it, with the guest's own tools:
#   BIOS: GRUB's config from /etc/default/grub (the rescue ISO boots it like a real host boots)
#   UEFI: systemd-boot in the EFI system partition and in the firmware's boot order (bootctl), and
#         the running kernel's boot entry made by kernel-install from /etc/kernel/cmdline
set -e
if [ -d /sys/firmware/efi ]; then
  mountpoint -q /boot/efi
  bootctl install 2>&1
  # as Debian's /etc/kernel/postinst.d/zz-systemd-boot does (55-initrd.install adds /boot/initrd.img-*)
  kernel-install add "$(uname -r)" "/boot/vmlinuz-$(uname -r)" 2>&1
  bootctl list --no-pager 2>&1
else
  mkdir -p /boot/grub
  update-grub 2>&1
fi
sync
systemctl poweroff
