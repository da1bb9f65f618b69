#!/usr/bin/env bash
# make demo: knat's main job in a minute or two, on Debian's stock kernel
# (no kernel build): installs what it needs, builds knat with DKMS for
# that kernel, boots it in qemu and runs tests/demo/demo.sh there, every
# command echoed as a user would type it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/boot.sh"
# shellcheck source=tests/vm/build.sh
. "$here/build.sh"

KNAT_SCENARIO_TIMEOUT=${KNAT_SCENARIO_TIMEOUT:-300}
KNAT_STALL=${KNAT_STALL:-$((KNAT_SCENARIO_TIMEOUT + 120))}
KNAT_GUEST_LIMIT=${KNAT_GUEST_LIMIT:-900}
KNAT_KERNEL_ARGS=${KNAT_KERNEL_ARGS:-}

"$here/deps.sh"
out=$KNAT_BUILD/demo-run
bdir=$KNAT_BUILD/demo
kver=$(stock_kver)
mkdir -p "$out"
export KNAT_RESULTS=$out/results
: > "$KNAT_RESULTS"
build_tree demo "$(stock_kdir)" cli >/dev/null || die "build failed"
dkms_build "$bdir" "$kver" >/dev/null || die "dkms build failed"
echo "knat $(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KNAT_TOP/dkms.conf") built by DKMS for $kver; booting it in qemu..."
KNAT_SCENARIOS_ONLY=none KNAT_EXTRA_MODULES='' KNAT_EXTRA_KUNIT='' \
	KNAT_EXTRA_E2E=$KNAT_TOP/tests/demo/demo.sh write_env "$out" "$bdir" stock
"$here/mkinitramfs.sh" "$out/initrd.gz" "$kver"
# The guest's report is TAP with the demo's output as comments: show the
# demo's lines as they are.
boot_guest stock "/boot/vmlinuz-$kver" "$out/initrd.gz" "$out" 1G |
	sed -n 's/^# \{0,1\}//p'
grep -q '^fail ' "$KNAT_RESULTS" && { echo "demo: something failed; see $out" >&2; exit 1; }
echo "demo: done"
