#!/usr/bin/env bash
# make check-harness: `make check` must go red for each deliberate
# failure. Runs it five times (a failing KUnit case, a failing scenario,
# a module that WARNs, a scenario that hangs, a module that panics), each
# limited to the smoke scenario, and checks that each run exits non-zero
# for the intended reason.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0 n=0
echo "TAP version 13"
for kind in kunit scenario warn hang panic; do
	case $kind in
	kunit) want='not ok [0-9]+ - kunit knat_harness_fail.harness_must_fail' ;;
	scenario) want='not ok [0-9]+ - e2e/failing_scenario' ;;
	warn) want='not ok [0-9]+ - debug kernel log has no splat' ;;
	hang) want='not ok [0-9]+ - e2e/hanging_scenario' ;;
	panic) want='guest stopped without an exit code' ;;
	esac
	log=$top/.build/harness-$kind.log
	mkdir -p "$top/.build"
	KNAT_SELFTEST=$kind KNAT_STOCK=0 T=smoke KNAT_SCENARIO_TIMEOUT=20 \
		"$top/tests/vm/check.sh" > "$log" 2>&1
	rc=$?
	n=$((n + 1))
	if [ "$rc" != 0 ] && grep -qE "$want" "$log"; then
		echo "ok $n - make check fails on a deliberate $kind failure (exit $rc)"
		pass=$((pass + 1))
	else
		echo "not ok $n - make check fails on a deliberate $kind failure (exit $rc, log $log)"
		fail=$((fail + 1))
	fi
done
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
