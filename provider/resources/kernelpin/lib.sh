# shellcheck shell=sh
# KernelPackagePin, shared by observe.sh and apply.sh (after the prelude). Input records (records.ts):
#   P PACKAGE       a package to report on
#   W B64CONTENT    (apply) ensure the preferences file's content;  R: remove it
#   H PACKAGE       (apply) put on hold;  U PACKAGE: take off hold
# Output: nopm NAME, uname, pinfile B64 | nopinfile, dpkg B64, policy B64 [B64ERR], holds B64,
#   ours B64, images B64; from apply also wrote, removed, hold P, unhold P and failed B64.
# The paths are model.ts's PIN_FILE and host.ts's HELD_BY_US (a unit test keeps them equal).
PIN_FILE="$ROOT/etc/apt/preferences.d/kernelhardening-kernel-pin.pref"
HELD_BY_US="$ROOT/var/lib/kernelhardening/kernelpin/held-by-us"
# LC_ALL=C: the parsers read apt's English field names ("Installed:", "Candidate:").
export LC_ALL=C LANGUAGE=
# D is a literal dollar sign: "$D{Package}" reaches dpkg-query as its field reference for Package
D='$'
have() { command -v "$1" >/dev/null 2>&1; }
apt_ok() { have dpkg-query && have apt-cache && have apt-mark; }
other_pm() {
  for c in dnf yum zypper pacman apk emerge xbps-install rpm; do if have "$c"; then echo "$c"; return 0; fi; done
  echo none
}
observe() {
  if ! apt_ok; then emit nopm "$(other_pm)"; return 0; fi
  # The named packages and every installed linux-image-* (names from dpkg, never word-globbed)
  set -f; set --
  while IFS="$FS" read -r tag a; do [ "$tag" = P ] && set -- "$@" "$a"; done < "$in"
  for k in $(dpkg-query -W -f="$D{db:Status-Abbrev}$D{Package}\n" 'linux-image-*' 2>/dev/null | sed -n 's/^.i.//p'); do
    set -- "$@" "$k"
  done
  set +f
  emit uname "$(b64str "$(uname -r)")" "$(b64str "$(uname -v)")"
  if [ -f "$PIN_FILE" ]; then emit pinfile "$(b64file "$PIN_FILE")"; else emit nopinfile; fi
  # dpkg-query exits 1 when one name matches nothing; the others are still listed.
  emit dpkg "$(b64str "$(dpkg-query -W -f="$D{Package}\t$D{Version}\t$D{db:Status-Abbrev}\t$D{Depends}\n" -- 'linux-image-*' "$@" 2>/dev/null)")"
  if [ $# -gt 0 ]; then
    if pol=$(apt-cache policy -- "$@" 2>"$err"); then emit policy "$(b64str "$pol")"; else emit policy "$(b64str "$pol")" "$(b64file "$err")"; fi
  fi
  if ! h=$(apt-mark showhold 2>"$err"); then emit failed "$(b64str "apt-mark showhold: $(cat "$err")")"; return 1; fi
  emit holds "$(b64str "$h")"
  if [ -f "$HELD_BY_US" ]; then emit ours "$(b64file "$HELD_BY_US")"; fi
  emit images "$(b64str "$(dpkg-query -S '/boot/vmlinuz-*' 2>/dev/null)")"
  return 0
}
in=$(mktemp) || exit 70
err=$(mktemp) || exit 70
trap 'rm -f "$in" "$err"' EXIT
read_records "$in"
