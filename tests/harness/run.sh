#!/usr/bin/env bash
# make check-harness: `make check` must go red for each deliberate
# failure, and say why. First the cold-cache path of build-kernel.sh
# (tests/harness/cold_cache.sh, no guest); then short `make check` runs
# (the smoke scenario only), each with deliberate failures of some kinds
# (KNAT_SELFTEST, see tests/vm/check.sh), and for each kind the line that
# must be red in its run.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0 n=0
echo "TAP version 13"
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }

if out=$("$top/tests/harness/cold_cache.sh" 2>&1); then
	ok "build-kernel.sh on an empty cache prints one directory"
else
	notok "build-kernel.sh on an empty cache prints one directory"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi

# want KIND: the line of a red run that proves KIND was seen.
want() {
	case $1 in
	kunit) echo 'not ok [0-9]+ - kunit knat_harness_fail.harness_must_fail' ;;
	scenario) echo 'not ok [0-9]+ - e2e/failing_scenario' ;;
	hang) echo 'not ok [0-9]+ - e2e/hanging_scenario' ;;
	skip) echo 'not ok [0-9]+ - e2e/skipping_scenario' ;;
	empty) echo 'not ok [0-9]+ - e2e/empty_scenario' ;;
	early) echo 'not ok [0-9]+ - e2e/early_exit_scenario' ;;
	warn) echo 'not ok [0-9]+ - debug kernel log has no splat' ;;
	leak) echo 'unreferenced object.*size 512' ;;
	stuck) echo 'not ok [0-9]+ - unload harness_stuck.ko' ;;
	panic) echo 'guest stopped without an exit code' ;;
	stall) echo 'guest hung \(no progress for 9[0-9]s' ;;
	exit) echo 'not ok [0-9]+ - debug guest finished \(runner exit code 3\)' ;;
	missing) echo 'e2e smoke: 0 of 1 reported' ;;
	missing-kunit) echo 'kunit knat_stats: 0 of 2 reported' ;;
	nokmemleak) echo 'not ok [0-9]+ - kmemleak: no leaks' ;;
	esac
}

# run NAME KINDS [ENV...]: one make check (log .build/harness-NAME.log) with
# those deliberate failures.
run() {
	local kinds=$2 log=$top/.build/harness-$1.log rc kind
	# KNAT_HARNESS_ONLY="modules stall": only those runs.
	case " ${KNAT_HARNESS_ONLY:-$1} " in *" $1 "*) ;; *) return 0 ;; esac
	shift 2
	mkdir -p "$top/.build"
	env KNAT_SELFTEST="${kinds//missing-kunit/}" KNAT_STOCK=0 T=smoke \
		KNAT_SCENARIO_TIMEOUT=60 "$@" "$top/tests/vm/check.sh" > "$log" 2>&1
	rc=$?
	for kind in $kinds; do
		if [ "$rc" != 0 ] && grep -qE "$(want "$kind")" "$log"; then
			ok "make check fails on a deliberate $kind failure (exit $rc)"
		else
			notok "make check fails on a deliberate $kind failure (exit $rc, log $log)"
		fi
	done
}

run scenarios "scenario hang skip empty early kunit"
run modules "warn leak stuck"
run panic panic
run stall stall KNAT_STALL=90
run exit exit
run missing "missing missing-kunit" T=smoke,stats_test
run nokmemleak nokmemleak
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
