#!/bin/sh
# Runs on a test host: copies a module shipped with the running kernel, strips its appended
# signature (the post's "unsigned module"), and prints the paths "<signed> <unsigned> <name>".
# Layout at the end of a signed module: <signature> <struct module_signature: 12 bytes, the last 4
# are the signature length, big-endian> "~Module signature appended~\n" (28 bytes).
set -eu
rel=$(uname -r)
for name in dummy nlmon veth; do
  src=$(find "/lib/modules/$rel/kernel" -name "$name.ko*" | head -n1)
  [ -n "$src" ] || continue
  grep -q "^$name " /proc/modules && continue
  [ -z "$(modinfo -F depends "$src")" ] || continue
  break
done
[ -n "${src:-}" ] || { echo "no suitable module found" >&2; exit 1; }
work=/root/kh-demo; mkdir -p "$work"
case "$src" in
  *.xz) xz -dc "$src" > "$work/$name.ko" ;;
  *.zst) zstd -qdc "$src" > "$work/$name.ko" ;;
  *) cp "$src" "$work/$name.ko" ;;
esac
signed="$work/$name.ko"
magic=$(tail -c 28 "$signed")
[ "$magic" = "~Module signature appended~" ] || { echo "$signed is not signed" >&2; exit 1; }
siglen=$(tail -c 32 "$signed" | head -c 4 | od -An -tu1 | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
size=$(wc -c < "$signed")
head -c $((size - siglen - 40)) "$signed" > "$work/$name-unsigned.ko"
echo "$signed $work/$name-unsigned.ko $name"
