#!/usr/bin/env bash
# Build (or find in the cache) the test kernel of one flavour.
# Usage: build-kernel.sh FLAVOUR   -> prints the cached build directory.
# The cache lives outside the repo and is keyed by the config fragments,
# this recipe and the linux-source version; a missing or half-built
# entry is rebuilt from scratch.
# Callers capture stdout: it carries the directory and nothing else.
# kbuild's chatter goes to DIR/build.log, progress to stderr.
set -euo pipefail
exec 3>&1 1>&2
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
dir=$(flavour_dir "$flavour")
if [ -f "$dir/.done" ]; then
	echo "$dir" >&3
	exit 0
fi

[ -f "$LINUX_SRC_TAR" ] || die "$LINUX_SRC_TAR missing: run tests/vm/deps.sh"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
src=$KNAT_CACHE/src/linux-source-$srcver
if [ ! -f "$src/.unpacked" ]; then
	log "unpacking linux-source $srcver"
	rm -rf "$src" && mkdir -p "$src"
	tar -xf "$LINUX_SRC_TAR" -C "$src" --strip-components=1
	touch "$src/.unpacked"
fi

rm -rf "$dir"
mkdir -p "$dir"
obj=$dir/build
buildlog=$dir/build.log
kmake() {
	make -s -C "$src" O="$obj" "$@" >> "$buildlog" 2>&1 || {
		tail -n 40 "$buildlog" >&2
		die "make $* failed (whole log: $buildlog)"
	}
}
start=$(date +%s)
log "building $flavour kernel in $dir (about 12 minutes on 2 cores)"
kmake defconfig
kmake kvm_guest.config
# shellcheck disable=SC2046
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	$(flavour_fragments "$flavour") >> "$buildlog" 2>&1
kmake olddefconfig

# Kconfig drops options whose dependencies are missing: insist. Later
# fragments override earlier ones, as in merge_config.sh.
# shellcheck disable=SC2046
cat $(flavour_fragments "$flavour") | grep -E '^CONFIG_[A-Z0-9_]+=' |
	awk -F= '{ want[$1] = $0 } END { for (o in want) print want[o] }' |
	while IFS= read -r want; do
		opt=${want%%=*}
		val=${want#*=}
		if [ "$val" = n ]; then
			if grep -q "^$opt=" "$obj/.config"; then
				die "$opt is set, the fragment wants it off"
			fi
		elif ! grep -qxF "$want" "$obj/.config"; then
			die "$opt: wanted $val, got '$(grep "^$opt=" "$obj/.config" || echo unset)'"
		fi
	done

kmake -j"$(nproc)" bzImage modules
kmake INSTALL_MOD_PATH="$dir/root" modules_install
# Keep only what later builds need from the object tree.
echo "$(( $(date +%s) - start ))" > "$dir/build-seconds"
cp "$obj/include/config/kernel.release" "$dir/kernelrelease"
cp "$obj/arch/x86/boot/bzImage" "$dir/bzImage"
touch "$dir/.done"
log "$flavour kernel built in $(cat "$dir/build-seconds") s"
echo "$dir" >&3
