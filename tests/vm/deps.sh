#!/usr/bin/env bash
# Install, with apt, whatever the build, the harness and the scenarios
# use and the machine lacks. A fresh Debian 12 needs nothing else.
set -euo pipefail

pkgs=(
	# guest and kernels
	qemu-system-x86 busybox-static cpio kmod xz-utils
	linux-source linux-headers-amd64 linux-image-amd64
	# kernel and module build
	build-essential flex bison bc libelf-dev libssl-dev dwarves rsync sparse
	shellcheck git
	# the CLI
	libmnl-dev pkg-config
	# scenarios
	iproute2 iputils-ping iputils-tracepath traceroute tcpdump nftables
	iperf3 netcat-openbsd procps util-linux coreutils ethtool bash-completion
	# benchmarks: charts, profiles
	gnuplot-nox linux-perf
	# packaging
	dkms openssl
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "# installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
