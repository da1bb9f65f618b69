#!/usr/bin/env bash
# make check: from a bare Debian 12 to "N passed, N failed".
#   1. apt-installs what is missing (deps.sh);
#   2. builds (or takes from the cache) the debug test kernel;
#   3. builds knat.ko, the KUnit modules and the CLI against it, boots it
#      under qemu and runs every KUnit module and e2e scenario;
#   4. builds knat.ko for the stock Debian kernel with DKMS (dkms add +
#      dkms build, private trees), boots that kernel and runs the smoke
#      scenario with the module exactly as DKMS built it;
#   5. fails on any failed test, kernel splat, hang, panic or leak.
# Environment: T=filter[,filter]  KASAN=1  KNAT_STOCK=0 (skip step 4)
#   KNAT_SELFTEST=kunit|scenario|warn|hang|panic (a deliberate failure, see
#   tests/harness/run.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/boot.sh"
# shellcheck source=tests/vm/build.sh
. "$here/build.sh"

T=${T:-}
KASAN=${KASAN:-0}
KNAT_STOCK=${KNAT_STOCK:-1}
KNAT_SELFTEST=${KNAT_SELFTEST:-}
# KASAN under TCG runs about five times slower.
if [ "$KASAN" = 1 ]; then
	KNAT_SCENARIO_TIMEOUT=${KNAT_SCENARIO_TIMEOUT:-1500}
else
	KNAT_SCENARIO_TIMEOUT=${KNAT_SCENARIO_TIMEOUT:-600}
fi
KNAT_STALL=${KNAT_STALL:-$((KNAT_SCENARIO_TIMEOUT + 120))}
KNAT_GUEST_LIMIT=${KNAT_GUEST_LIMIT:-$((KASAN == 1 ? 10800 : 3000))}
KNAT_KERNEL_ARGS=${KNAT_KERNEL_ARGS:-}
flavour=debug
[ "$KASAN" = 1 ] && flavour=kasan
mem=2G
[ "$KASAN" = 1 ] && mem=3G

start=$(date +%s)
"$here/deps.sh"
t_apt=$(( $(date +%s) - start ))
kcache=$("$here/build-kernel.sh" "$flavour")
t_kernel=$(( $(date +%s) - start - t_apt ))
[ -f "$kcache/.done" ] ||
	die "build-kernel.sh printed '$kcache', not a built kernel's directory"

check_dir=$KNAT_BUILD/check
mkdir -p "$check_dir"
export KNAT_RESULTS=$check_dir/results
: > "$KNAT_RESULTS"
echo "TAP version 13"
echo "# apt (deps.sh): $t_apt s; $flavour kernel: $t_kernel s ($kcache)"

run_debug_guest() {
	local bdir=$KNAT_BUILD/$flavour out=$check_dir/$flavour harness=()
	mkdir -p "$out"
	rm -f "$out"/trace-*
	[ -n "$KNAT_SELFTEST" ] && harness=(KNAT_HARNESS=m)
	local t0=$SECONDS
	build_tree "$flavour" "$kcache/build" "${harness[@]}" || return 0
	# cli_errors.sh's CLIs of another release and netlink family version,
	# built here: gcc in the TCG guest takes minutes a file.
	local skew
	skew=$("$KNAT_TOP/tests/e2e/_skew_cli.sh" "$bdir" 2>&1) ||
		tap_result 1 "build the skewed CLIs (tests/e2e/_skew_cli.sh)" "$skew"
	echo "# built for $flavour in $((SECONDS - t0)) s"
	case $KNAT_SELFTEST in
	"") ;;
	kunit) KNAT_EXTRA_KUNIT=$bdir/tests/harness/harness_fail_test.ko ;;
	warn) KNAT_EXTRA_MODULES=$bdir/tests/harness/harness_warn.ko ;;
	scenario) KNAT_EXTRA_E2E=${KNAT_EXTRA_E2E:-$KNAT_TOP/tests/harness/failing_scenario.sh} ;;
	hang) KNAT_EXTRA_E2E=$KNAT_TOP/tests/harness/hanging_scenario.sh ;;
	panic) KNAT_EXTRA_MODULES=$bdir/tests/harness/harness_panic.ko ;;
	*) die "KNAT_SELFTEST: kunit, scenario, warn, hang or panic" ;;
	esac
	write_env "$out" "$bdir" "$flavour" \
		"$kcache/root/lib/modules/$(cat "$kcache/kernelrelease")"
	"$here/mkinitramfs.sh" "$out/initrd.gz"
	boot_guest "$flavour" "$kcache/bzImage" "$out/initrd.gz" "$out" "$mem"
}

run_stock_guest() {
	local kver bdir=$KNAT_BUILD/stock out=$check_dir/stock
	kver=$(stock_kver)
	mkdir -p "$out"
	# The CLI here; the module as DKMS builds it.
	local t0=$SECONDS
	build_tree stock "$(stock_kdir)" cli || return 0
	dkms_build "$bdir" "$kver" || return 0
	echo "# built for stock (DKMS) in $((SECONDS - t0)) s"
	KNAT_SCENARIOS_ONLY=smoke KNAT_EXTRA_MODULES='' KNAT_EXTRA_KUNIT='' \
		KNAT_EXTRA_E2E='' write_env "$out" "$bdir" stock
	"$here/mkinitramfs.sh" "$out/initrd.gz" "$kver"
	boot_guest stock "/boot/vmlinuz-$kver" "$out/initrd.gz" "$out" 1G
}

run_debug_guest
if [ "$KNAT_STOCK" = 1 ] && [ -z "$T" ]; then
	run_stock_guest
fi

passed=$(grep -c '^pass$' "$KNAT_RESULTS" || true)
failed=$(grep -c '^fail$' "$KNAT_RESULTS" || true)
skipped=$(grep -c '^skip$' "$KNAT_RESULTS" || true)
echo "1..$((passed + failed + skipped))"
echo "# $(( $(date +%s) - start )) s; logs in $check_dir"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
