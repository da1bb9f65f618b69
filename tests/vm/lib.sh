# shellcheck shell=bash
# Paths and helpers shared by the host-side harness scripts.

KNAT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KNAT_CACHE=${KNAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knat}
KNAT_BUILD=${KNAT_BUILD:-$KNAT_TOP/.build}
export LINUX_SRC_TAR=${LINUX_SRC_TAR:-/usr/src/linux-source-6.1.tar.xz}

log() { printf '# %s\n' "$*" >&2; }
die() { printf 'knat-harness: %s\n' "$*" >&2; exit 1; }

# The guest sees the host's root, but mounts fresh tmpfs on /tmp and /run:
# a tree or build directory there would be missing in the guest.
case "$KNAT_TOP/ $KNAT_BUILD/" in
/tmp/* | /run/* | *" /tmp/"* | *" /run/"*)
	die "the tree ($KNAT_TOP) and KNAT_BUILD ($KNAT_BUILD) must not be under /tmp or /run: the guest mounts its own there" ;;
esac

# The stock Debian kernel: the one linux-image-amd64 installs.
stock_kver() {
	local v
	v=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		sed -n 's/.*linux-image-\([^ ,]*\).*/\1/p')
	[ -n "$v" ] || die "linux-image-amd64 is not installed"
	case $v in *-unsigned) v=${v%-unsigned} ;; esac
	echo "$v"
}

stock_kdir() { echo "/usr/src/linux-headers-$(stock_kver)"; }

# Fragments that make up a flavour of the test kernel.
flavour_fragments() {
	case $1 in
	debug) echo "$KNAT_TOP/tests/vm/kernel.config" ;;
	kasan) echo "$KNAT_TOP/tests/vm/kernel.config $KNAT_TOP/tests/vm/kasan.config" ;;
	kcsan) echo "$KNAT_TOP/tests/vm/kernel.config $KNAT_TOP/tests/vm/kcsan.config" ;;
	bench) echo "$KNAT_TOP/tests/vm/kernel.config $KNAT_TOP/tests/vm/bench.config" ;;
	*) die "unknown kernel flavour '$1' (debug, kasan, kcsan, bench)" ;;
	esac
}

# Bump when build-kernel.sh changes what it produces.
KERNEL_RECIPE=1

# Cache key: the fragments, the recipe and the source package version.
flavour_key() {
	local srcver
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null)
	# shellcheck disable=SC2046
	{ echo "$srcver recipe $KERNEL_RECIPE"; cat $(flavour_fragments "$1"); } |
		sha256sum | cut -c1-16
}

flavour_dir() { echo "$KNAT_CACHE/kernel/$1-$(flavour_key "$1")"; }

# kernel_dir FLAVOUR: the finished test kernel's cache directory, built
# first if need be. Dies unless build-kernel.sh answered with exactly one
# directory of a finished build (its stdout is the answer and no more).
kernel_dir() {
	local d
	d=$("$KNAT_TOP/tests/vm/build-kernel.sh" "$1") ||
		die "building the $1 kernel failed"
	if [ "$(printf '%s\n' "$d" | wc -l)" != 1 ] || [ ! -f "$d/.done" ]; then
		die "build-kernel.sh $1 printed '$d', not one built kernel's directory"
	fi
	echo "$d"
}

# selected NAME: does the T= filter pick it? (as the guest decides)
selected() {
	[ -z "${T:-}" ] && return 0
	local f filters
	IFS=, read -ra filters <<< "$T"
	for f in "${filters[@]}"; do
		case $1 in *"$f"*) return 0 ;; esac
	done
	return 1
}
