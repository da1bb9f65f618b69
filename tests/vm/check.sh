#!/usr/bin/env bash
# make check: from a bare Debian 12 to "N passed, N failed".
#   1. apt-installs what is missing (deps.sh);
#   2. builds (or takes from the cache) the debug test kernel;
#   3. builds knat.ko, the KUnit modules and the CLI against it, boots it
#      under qemu and runs every KUnit module and e2e scenario;
#   4. builds knat.ko for the stock Debian kernel with DKMS (dkms add +
#      dkms build, private trees), boots that kernel and runs the smoke
#      scenario with the module exactly as DKMS built it;
#   5. fails on any failed test, kernel splat, hang, panic or leak, on a
#      runner that exits non-zero, and on any KUnit suite, case or
#      scenario of the tree that a guest did not report (the expected
#      set is read from tests/kunit/*_test.c and tests/e2e/*.sh).
# Environment: T=filter[,filter]  KASAN=1 or KCSAN=1  KNAT_STOCK=0 (skip step 4)
#   KNAT_SELFTEST=KIND (deliberate failures, see tests/harness/run.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/boot.sh"
# shellcheck source=tests/vm/build.sh
. "$here/build.sh"

T=${T:-}
KASAN=${KASAN:-0}
KCSAN=${KCSAN:-0}
[ "$KASAN" = 1 ] && [ "$KCSAN" = 1 ] && die "KASAN=1 and KCSAN=1: one sanitizer a kernel"
# A sanitizer's flavour runs slower: longer timeouts.
SANITIZER=$((KASAN == 1 || KCSAN == 1))
KNAT_STOCK=${KNAT_STOCK:-1}
KNAT_SELFTEST=${KNAT_SELFTEST:-}
# KASAN under TCG runs about five times slower.
if [ "$SANITIZER" = 1 ]; then
	KNAT_SCENARIO_TIMEOUT=${KNAT_SCENARIO_TIMEOUT:-1500}
else
	KNAT_SCENARIO_TIMEOUT=${KNAT_SCENARIO_TIMEOUT:-600}
fi
KNAT_STALL=${KNAT_STALL:-$((KNAT_SCENARIO_TIMEOUT + 120))}
KNAT_GUEST_LIMIT=${KNAT_GUEST_LIMIT:-$((SANITIZER == 1 ? 10800 : 3000))}
KNAT_KERNEL_ARGS=${KNAT_KERNEL_ARGS:-}
flavour=debug
[ "$KASAN" = 1 ] && flavour=kasan
[ "$KCSAN" = 1 ] && flavour=kcsan
mem=2G
[ "$SANITIZER" = 1 ] && mem=3G

# One run at a time per build directory: a second one would empty the
# first one's results and logs under it.
mkdir -p "$KNAT_BUILD"
exec 9> "$KNAT_BUILD/.check.lock"
flock -n 9 || die "another make check is running in $KNAT_BUILD (KNAT_BUILD= picks another)"

start=$(date +%s)
"$here/deps.sh"
t_apt=$(( $(date +%s) - start ))
kcache=$(kernel_dir "$flavour")
t_kernel=$(( $(date +%s) - start - t_apt ))

check_dir=$KNAT_BUILD/check
mkdir -p "$check_dir"
export KNAT_RESULTS=$check_dir/results
: > "$KNAT_RESULTS"
echo "TAP version 13"
echo "# apt (deps.sh): $t_apt s; $flavour kernel: $t_kernel s ($kcache)"

# The harness itself, on the host: the cold-cache path of build-kernel.sh.
if out=$("$KNAT_TOP/tests/harness/cold_cache.sh" 2>&1); then
	tap_result 0 "harness: build-kernel.sh on an empty cache prints one directory"
else
	tap_result 1 "harness: build-kernel.sh on an empty cache prints one directory" "$out"
fi

# Scenarios that may skip say why in a "# knat-scenario: optional WHY"
# line, and the README names each in its list of optional scenarios.
optional=$(grep -l '^# knat-scenario: optional ' "$KNAT_TOP"/tests/e2e/*.sh || true)
unlisted=
for f in $optional; do
	grep -q "^- optional scenario \`$(basename "$f" .sh)\`" "$KNAT_TOP/README.md" ||
		unlisted+=" $(basename "$f" .sh)"
done
line="harness: optional scenarios are listed in the README ($(echo "$optional" | grep -c . || true))"
if [ -z "$unlisted" ]; then
	tap_result 0 "$line"
else
	tap_result 1 "$line" "not in the README's list:$unlisted"
fi

# expected_set [ONLY]: what a guest must report, a line each, "KIND NAME
# COUNT": every scenario once ("e2e NAME 1"; ONLY limits them to a list),
# and each KUnit suite with as many cases as its file declares ("kunit
# SUITE N").
expected_set() {
	local f name suite n
	for f in "$KNAT_TOP"/tests/e2e/[!_]*.sh; do
		name=$(basename "$f" .sh)
		if [ -n "${1:-}" ]; then
			case " $1 " in *" $name "*) ;; *) continue ;; esac
		fi
		selected "$name" && echo "e2e $name 1"
	done
	[ -n "${1:-}" ] && return 0
	for f in "$KNAT_TOP"/tests/kunit/*_test.c; do
		selected "$(basename "$f" .c)" || continue
		suite=$(sed -n 's/^\t\.name = "\(knat_[a-z0-9_]*\)",$/\1/p' "$f")
		n=$(grep -cE '^[[:space:]]*KUNIT_CASE(_PARAM)?\(' "$f")
		[ "$(echo "$suite" | wc -w)" = 1 ] && [ "$n" -gt 0 ] ||
			die "$f: cannot read one suite name and its cases"
		echo "kunit $suite $n"
	done
}

# check_expected GUEST FROM [ONLY]: the results from line FROM of the
# results file on ("STATUS NAME...") must hold the whole expected set.
check_expected() {
	local guest=$1 from=$2 missing="" kind want count got total=0 line exp
	# expected_set dies on a file it cannot read: in $(...) that ends only
	# the subshell, so its status is checked here.
	exp=$(expected_set "${3:-}") || die "the expected set cannot be read"
	[ -n "$exp" ] || missing="
T=$T selects no scenario and no KUnit suite"
	while read -r kind want count; do
		[ -n "$kind" ] || continue
		got=$(tail -n +"$from" "$KNAT_RESULTS" | awk -v k="$kind" -v w="$want" '
			k == "e2e" { n += $2 == "e2e/" w; next }
			{ n += $2 == "kunit" && index($3, w ".") == 1 }
			END { print n + 0 }')
		total=$((total + count))
		[ "$got" = "$count" ] || missing+="
$kind $want: $got of $count reported"
	done <<< "$exp"
	line="$guest guest reported the whole expected set ($total)"
	if [ -z "$missing" ]; then tap_result 0 "$line"; else tap_result 1 "$line" "${missing#?}"; fi
}

run_debug_guest() {
	local bdir=$KNAT_BUILD/$flavour out=$check_dir/$flavour harness=() from
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
	local kind e2e=() kunit=() mods=()
	for kind in $KNAT_SELFTEST; do
		case $kind in
		kunit) kunit+=("$bdir/tests/harness/harness_fail_test.ko") ;;
		warn | leak | stuck | panic) mods+=("$bdir/tests/harness/harness_$kind.ko") ;;
		scenario) e2e+=("$KNAT_TOP/tests/harness/failing_scenario.sh") ;;
		hang) e2e+=("$KNAT_TOP/tests/harness/hanging_scenario.sh") ;;
		skip) e2e+=("$KNAT_TOP/tests/harness/skipping_scenario.sh") ;;
		empty) e2e+=("$KNAT_TOP/tests/harness/empty_scenario.sh") ;;
		early) e2e+=("$KNAT_TOP/tests/harness/early_exit_scenario.sh") ;;
		stall) export KNAT_GUEST_STALL=1 ;;
		exit) export KNAT_RUNNER_EXIT=3 ;;
		nokmemleak) KNAT_KERNEL_ARGS+=" kmemleak=off" ;;
		missing)
			# A scenario the guest leaves out, a KUnit module not built.
			export KNAT_DROP_SCENARIO=smoke
			rm -f "$bdir/tests/kunit/stats_test.ko" ;;
		*) die "KNAT_SELFTEST: unknown kind '$kind' (tests/harness/run.sh)" ;;
		esac
	done
	KNAT_EXTRA_KUNIT=${kunit[*]:-${KNAT_EXTRA_KUNIT:-}}
	KNAT_EXTRA_MODULES=${mods[*]:-${KNAT_EXTRA_MODULES:-}}
	KNAT_EXTRA_E2E=${e2e[*]:-${KNAT_EXTRA_E2E:-}}
	write_env "$out" "$bdir" "$flavour" \
		"$kcache/root/lib/modules/$(cat "$kcache/kernelrelease")"
	"$here/mkinitramfs.sh" "$out/initrd.gz"
	from=$(($(wc -l < "$KNAT_RESULTS") + 1))
	boot_guest "$flavour" "$kcache/bzImage" "$out/initrd.gz" "$out" "$mem"
	check_expected "$flavour" "$from"
}

run_stock_guest() {
	local kver bdir=$KNAT_BUILD/stock out=$check_dir/stock from
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
	from=$(($(wc -l < "$KNAT_RESULTS") + 1))
	boot_guest stock "/boot/vmlinuz-$kver" "$out/initrd.gz" "$out" 1G
	check_expected stock "$from" smoke
}

run_debug_guest
if [ "$KNAT_STOCK" = 1 ] && [ -z "$T" ]; then
	run_stock_guest
fi

passed=$(grep -c '^pass ' "$KNAT_RESULTS" || true)
failed=$(grep -c '^fail ' "$KNAT_RESULTS" || true)
skipped=$(grep -c '^skip ' "$KNAT_RESULTS" || true)
echo "1..$((passed + failed + skipped))"
echo "# $(( $(date +%s) - start )) s; logs in $check_dir"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
