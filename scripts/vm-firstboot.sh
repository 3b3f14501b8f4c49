#!/bin/sh
# Runs once inside the guest while the image is built: generate GRUB's config from the guest's
# own /etc/default/grub, so the rescue ISO boots it like a real host boots, then power off.
set -e
mkdir -p /boot/grub
update-grub 2>&1
sync
systemctl poweroff
