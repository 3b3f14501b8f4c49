# shellcheck shell=sh
# The boot-configuration module's remote half (see boot/model.ts): what the host boots with, and
# the steps that change it. Sourced after the prelude; every path is a constant or a name the
# script itself checks, and data arrives only as base64 fields.
# update-grub and kernel-install live in sbin, which a sudo user's PATH may lack; a fake tree (the
# script tests) brings its own tools and must never reach the real ones.
[ -n "$ROOT" ] || PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
BOOT_GRUB_DEFAULT="$ROOT/etc/default/grub"
BOOT_GRUB_D="$ROOT/etc/default/grub.d"
BOOT_GRUB_CFG="$ROOT/boot/grub/grub.cfg"
BOOT_KCMDLINE="$ROOT/etc/kernel/cmdline"
# Host files are hostile: each is read at most this many bytes.
BOOT_MAX=65536
b64head() { head -c "$BOOT_MAX" "$1" 2>/dev/null | base64 -w0; }

# observe_boot: records cmdline, grub*, kcmdline, kernelinstall, kilayout, bootentry (boot/host.ts parses them).
observe_boot() {
  emit cmdline "$(b64head "$ROOT/proc/cmdline")"
  [ -f "$BOOT_GRUB_DEFAULT" ] && emit grubdefault "$(b64head "$BOOT_GRUB_DEFAULT")"
  command -v update-grub >/dev/null 2>&1 && emit updategrub
  command -v grub-mkconfig >/dev/null 2>&1 && emit grubmkconfig
  n=0
  for f in "$BOOT_GRUB_D"/*.cfg; do
    [ -f "$f" ] || continue
    n=$((n + 1)); [ "$n" -le 64 ] || break
    emit grubdropin "$(b64str "$(basename "$f")")" "$(b64head "$f")"
  done
  [ -f "$BOOT_GRUB_CFG" ] && emit grubcfg "$(grep -E '^[[:space:]]*linux(16|efi)?[[:space:]]' "$BOOT_GRUB_CFG" | head -c "$BOOT_MAX" | base64 -w0)"
  [ -f "$BOOT_KCMDLINE" ] && emit kcmdline "$(b64head "$BOOT_KCMDLINE")"
  if command -v kernel-install >/dev/null 2>&1; then
    emit kernelinstall
    kimg=$(boot_kernel_image)
    # systemd >= 254 fails a bare inspect when the image is not in /usr/lib/modules (Debian 13), and
    # prints KERNEL_INSTALL_X=v under "Plugin Environment:"; 252 prints "KERNEL_INSTALL_X: v".
    if info=$(kernel-install inspect "$(uname -r)" "$kimg" 2>/dev/null); then
      layout=$(printf '%s\n' "$info" | sed -n 's/^.*KERNEL_INSTALL_LAYOUT[:=] *//p' | head -n 1)
      broot=$(printf '%s\n' "$info" | sed -n 's/^.*KERNEL_INSTALL_BOOT_ROOT[:=] *//p' | head -n 1)
      emit kilayout "$(b64str "$layout")"
      if [ "$layout" = bls ] && [ -n "$broot" ]; then
        for e in "$broot"/loader/entries/*"$(uname -r)"*.conf; do
          [ -f "$e" ] && emit bootentry "$(b64str "$e")" "$(sed -n 's/^options[[:space:]]*//p' "$e" | head -c "$BOOT_MAX" | base64 -w0)"
        done
      fi
    fi
  fi
  return 0
}

# boot_kernel_image: the running kernel's image, where kernel-install expects it (Debian 13) or in /boot.
boot_kernel_image() {
  bki=$ROOT/lib/modules/$(uname -r)/vmlinuz
  [ -f "$bki" ] || bki=$ROOT/boot/vmlinuz-$(uname -r)
  printf '%s' "$bki"
}

# boot_write PATH B64CONTENT [EXPECT]: PATH gets the content atomically, unless it has it already (then
# nothing is written or said). EXPECT guards a file shared with the user against an edit made since it
# was read: "-" it was absent, else the base64 of the content read (empty: it was empty).
boot_write() {
  remove_stale_temps "$1"
  if [ -f "$1" ] && [ "$(b64file "$1")" = "$2" ]; then return 0; fi
  if [ $# -ge 3 ]; then
    if [ "$3" = "-" ]; then [ -e "$1" ] && boot_fail "$1 appeared since it was read; run the update again"
    elif [ "$(b64file "$1")" != "$3" ]; then boot_fail "$1 changed since it was read; run the update again"; fi
  fi
  mkdir -p "$(dirname "$1")" || boot_fail "cannot create $(dirname "$1")"
  unb64 "$2" | atomic_write "$1" 0644 || boot_fail "cannot write $1"
  emit "done" "wrote $1"
}

# boot_remove PATH: PATH (a file or a link) removed if it is there, the removal made durable.
boot_remove() {
  remove_stale_temps "$1"
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -f "$1" || boot_fail "cannot remove $1"
    { sync "$(dirname "$1")" 2>/dev/null || sync; }
    emit "done" "removed $1"
  fi
}

# boot_fail REASON: stops the apply with a "failed" record (the caller's steps done so far stay done).
boot_fail() { emit failed "$(b64str "$1")"; exit 4; }

# boot_dropin_path B64NAME: /etc/default/grub.d/NAME for a plain file name of ours ending in .cfg, else status 1.
boot_dropin_path() {
  bd_name=$(unb64 "$1")
  case "$bd_name" in 90-kernelhardening-*.cfg) ;; *) return 1 ;; esac
  case "$bd_name" in *[!A-Za-z0-9._-]*) return 1 ;; esac
  printf '%s/%s' "$BOOT_GRUB_D" "$bd_name"
}

# boot_step TAG A B: one step of a boot-configuration change; returns 1 for a tag that is not ours.
#   BW name content   write our GRUB drop-in (unchanged content is not rewritten)
#   BR name           remove our GRUB drop-in
#   BK content expect write /etc/kernel/cmdline over exactly the content the plan was made from ("-": absent)
#   BG                regenerate grub.cfg      BI  regenerate the running kernel's boot entry
boot_step() {
  bs_log=$(mktemp) || exit 70
  cleanup_later "$bs_log"
  case "$1" in
    BW) p=$(boot_dropin_path "$2") || boot_fail "not a drop-in name of ours"
        boot_write "$p" "$3" ;;
    BR) p=$(boot_dropin_path "$2") || boot_fail "not a drop-in name of ours"
        boot_remove "$p" ;;
    BK) boot_write "$BOOT_KCMDLINE" "$2" "$3" ;;
    BG) if command -v update-grub >/dev/null 2>&1; then update-grub >"$bs_log" 2>&1 </dev/null || boot_fail "update-grub failed: $(tail -n 5 "$bs_log")"
        else grub-mkconfig -o "$BOOT_GRUB_CFG" >"$bs_log" 2>&1 </dev/null || boot_fail "grub-mkconfig -o $BOOT_GRUB_CFG failed: $(tail -n 5 "$bs_log")"; fi
        sync
        emit "done" "regenerated $BOOT_GRUB_CFG" ;;
    BI) img=$(boot_kernel_image)
        [ -f "$img" ] || boot_fail "cannot find the running kernel's image to run kernel-install add"
        kernel-install add "$(uname -r)" "$img" >"$bs_log" 2>&1 </dev/null || boot_fail "kernel-install add $(uname -r) failed: $(tail -n 5 "$bs_log")"
        sync
        emit "done" "regenerated the boot entry of $(uname -r)" ;;
    *) return 1 ;;
  esac
  return 0
}
