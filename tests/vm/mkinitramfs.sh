#!/usr/bin/env bash
# Usage: mkinitramfs.sh OUT.cpio.gz [KVER]
# A busybox initramfs; with KVER (the stock Debian kernel, where virtio,
# 9p and overlayfs are modules) it carries and loads those modules too.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1
kver=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,proc,sys,dev,modules}
cp /bin/busybox "$tmp/bin/busybox"
install -m 0755 "$KNAT_TOP/tests/vm/init" "$tmp/init"
if [ -n "$kver" ]; then
	n=0
	for mod in virtio_pci 9pnet_virtio 9p overlay; do
		modprobe -S "$kver" --show-depends "$mod" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while IFS= read -r ko; do
		n=$((n + 1))
		dst=$tmp/modules/$(printf '%02d' "$n")-$(basename "${ko%.xz}")
		case $ko in
		*.xz) xz -dc "$ko" > "$dst" ;;
		*) cp "$ko" "$dst" ;;
		esac
	done
fi
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
