#!/usr/bin/env bash
# cold_cache.sh [BUILD_KERNEL_SH]: the first build on a machine with no
# kernel cache, in seconds. A stand-in `make` (first on PATH) and a tiny
# stand-in linux-source tarball print on stdout and stderr what kbuild
# prints on a real cold build ("Using .config as base", "# merged
# configuration written to .config (needs make)", quotes and all) and
# make the files a build leaves (a stand-in dpkg-query names the source
# version, so the test runs before deps.sh installed anything). What build-kernel.sh prints on stdout,
# as check.sh and bench.sh capture it, must be exactly one line: an
# existing directory holding a finished build. The same again warm.
# Prints TAP; exits non-zero on a failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
script=${1:-$top/tests/vm/build-kernel.sh}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/bin" "$tmp/src/linux-standin/scripts/kconfig"
cat > "$tmp/bin/make" <<'EOF'
#!/bin/bash
# Stand-in for kbuild: its chatter, and the files a build leaves.
obj= mod_path= targets=()
for a; do
	case $a in
	O=*) obj=${a#O=} ;;
	INSTALL_MOD_PATH=*) mod_path=${a#INSTALL_MOD_PATH=} ;;
	-*|*=*) ;;
	*) targets+=("$a") ;;
	esac
done
for t in "${targets[@]}"; do
	case $t in
	defconfig)
		mkdir -p "$obj"
		echo "*** Default configuration is based on 'x86_64_defconfig'"
		printf '#\n# configuration written to .config\n#\n'
		: > "$obj/.config" ;;
	kvm_guest.config)
		echo "Using .config as base"
		echo "Merging ./kernel/configs/kvm_guest.config"
		echo "Value of CONFIG_HYPERVISOR_GUEST is redefined by fragment './kernel/configs/kvm_guest.config':"
		echo "Previous value: # CONFIG_HYPERVISOR_GUEST is not set"
		echo "New value: CONFIG_HYPERVISOR_GUEST=y"
		printf '#\n# merged configuration written to .config (needs make)\n#\n' ;;
	olddefconfig)
		printf '#\n# configuration written to .config\n#\n' ;;
	bzImage)
		echo "  CC      init/main.o"
		echo "warning: a compiler warning, on stderr" >&2
		mkdir -p "$obj/arch/x86/boot" "$obj/include/config"
		echo standin > "$obj/arch/x86/boot/bzImage"
		echo 6.1.0-standin > "$obj/include/config/kernel.release"
		echo "Kernel: arch/x86/boot/bzImage is ready  (#1)" ;;
	modules) echo "  MODPOST modules-only.symvers" ;;
	modules_install)
		mkdir -p "$mod_path/lib/modules/6.1.0-standin"
		echo "  DEPMOD  /lib/modules/6.1.0-standin" ;;
	kernelrelease) echo 6.1.0-standin ;;
	esac
done
EOF
# The source package's version, so that the test needs no linux-source.
cat > "$tmp/bin/dpkg-query" <<'EOF'
#!/bin/sh
echo 6.1.999-standin
EOF
# merge_config.sh -m -O OBJ BASE FRAGMENT...: the fragments' options,
# with "=n" written the way Kconfig writes an option that is off.
cat > "$tmp/src/linux-standin/scripts/kconfig/merge_config.sh" <<'EOF'
#!/bin/bash
shift 3
base=$1
shift
echo "Using $base as base"
for f; do
	echo "Merging $f"
	sed -E 's/^(CONFIG_[A-Z0-9_]+)=n$/# \1 is not set/' "$f" >> "$base"
done
echo "# merged configuration written to $base (needs make)"
EOF
chmod +x "$tmp/bin/make" "$tmp/bin/dpkg-query" "$tmp/src/linux-standin/scripts/kconfig/merge_config.sh"
tar -cJf "$tmp/linux-standin.tar.xz" -C "$tmp/src" linux-standin

n=0 failed=0
check() { # check STATUS NAME [DIAG]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}
one_built_dir() { # one_built_dir OUTPUT: exactly one line, a finished build
	[ "$(printf '%s\n' "$1" | wc -l)" = 1 ] && [ -d "$1" ] &&
		[ -f "$1/.done" ] && [ -s "$1/bzImage" ] &&
		[ "$(cat "$1/kernelrelease")" = 6.1.0-standin ]
}

echo "TAP version 13"
cache=$tmp/cache
cold=$(PATH=$tmp/bin:$PATH KNAT_CACHE=$cache LINUX_SRC_TAR=$tmp/linux-standin.tar.xz \
	"$script" debug 2> "$tmp/cold.err")
rc=$?
check "$rc" "build-kernel.sh on an empty cache exits 0" "$(tail -n 20 "$tmp/cold.err")"
one_built_dir "$cold"
check $? "build-kernel.sh on an empty cache prints one built kernel's directory" \
	"stdout was:
$cold"
warm=$(PATH=$tmp/bin:$PATH KNAT_CACHE=$cache LINUX_SRC_TAR=$tmp/linux-standin.tar.xz \
	"$script" debug 2> "$tmp/warm.err")
[ "$warm" = "$cold" ] && one_built_dir "$warm"
check $? "build-kernel.sh on a warm cache prints the same directory" "stdout was:
$warm"
echo "1..$n"
[ "$failed" = 0 ]
