#!/bin/bash
# Runs inside the guest: loads knat, runs every KUnit module and every
# end-to-end scenario (each with a time limit), unloads everything and
# asks kmemleak for leaks. Prints TAP lines without numbers ("ok - x");
# the host numbers and counts them. Settings come from env.sh.
set -u
. /knat-out/env.sh

# Scenarios and KUnit modules report from background jobs: a failure is
# a file, so that the runner's exit code sees all of them.
failed_mark=/tmp/knat-runner-failed
rm -f "$failed_mark"
result() { # result STATUS NAME [DIAG...]
	local status=$1 name=$2
	shift 2
	if [ "$status" = 0 ]; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		: > "$failed_mark"
	fi
	for d in "$@"; do
		[ -n "$d" ] && printf '%s\n' "$d" | sed 's/^/#   /'
	done
	return 0
}

selected() { # selected NAME: does the T= filter pick it?
	[ -z "${KNAT_FILTER:-}" ] && return 0
	local f filters
	IFS=, read -ra filters <<< "$KNAT_FILTER"
	for f in "${filters[@]}"; do
		case $1 in *"$f"*) return 0 ;; esac
	done
	return 1
}

kmemleak=/sys/kernel/debug/kmemleak
[ "$KNAT_FLAVOUR" != stock ] && echo clear 2>/dev/null > $kmemleak

# KUnit: run a test module and report each case from its KTAP in dmesg
# (from a marker on: scenarios may be running and logging meanwhile).
run_kunit_module() {
	local ko=$1 name ktap start=$SECONDS mark
	name=$(basename "$ko" .ko)
	mark="knat-kunit: $name $$ $RANDOM"
	echo "$mark" > /dev/kmsg
	if ! out=$(timeout "$KNAT_SCENARIO_TIMEOUT" insmod "$ko" 2>&1); then
		result 1 "kunit $name: insmod" "$out"
		return
	fi
	ktap=$(dmesg -t | sed -n "/^$mark\$/,\$p" |
		sed -n '/^KTAP version\|^    KTAP version\|^    # Subtest:/,$p')
	echo "# kunit: $name ($((SECONDS - start)) s)"
	printf '%s\n' "$ktap" | sed 's/^/# /'
	local cases planned=0 seen=0 suite=""
	while IFS= read -r line; do
		case $line in
		"    # Subtest: "*) suite=${line#    # Subtest: } ;;
		"    1.."*) planned=$((planned + ${line#    1..})) ;;
		"    ok "* | "    not ok "*)
			seen=$((seen + 1))
			cases=${line#    }
			local st=0 cname
			case $cases in not*) st=1 ;; esac
			cname=$(echo "$cases" | sed -E 's/^(not )?ok [0-9]+ //')
			if [[ $cname == *"# SKIP"* ]]; then
				# The guest is made for every case: a skip means
				# a case did not run.
				result 1 "kunit $suite.${cname%% #*}" "skipped:${cname#*# SKIP}"
			else
				result $st "kunit $suite.$cname"
			fi
			;;
		esac
	done <<< "$ktap"
	if [ "$planned" = 0 ] || [ "$seen" != "$planned" ]; then
		result 1 "kunit $name: $seen of $planned planned cases reported"
	fi
	rmmod "$name" 2>/dev/null || result 1 "kunit $name: rmmod"
}

# run_scenario SCRIPT: runs it (time-limited) with a namespace suffix of
# its own, then prints its log and result; removes any namespace it left.
run_scenario() {
	local script=$1 name log rc ns sfx
	name=e2e/$(basename "$script" .sh)
	sfx=$(basename "$script" .sh | tr -c 'a-z0-9\n' - | cut -c1-12)$$
	log=/tmp/scenario-$sfx.log
	local start=$SECONDS st0 st
	read -r -a st0 < "/proc/$BASHPID/stat"
	# A session of its own: whatever it left running is killed after it.
	SFX=$sfx timeout -k 5 "$KNAT_SCENARIO_TIMEOUT" \
		setsid bash -c 'echo $$ > "$0.pgid"; exec bash "$1" "$2"' "$log" \
		"$KNAT_TOP/tests/vm/scenario.sh" "$script" > "$log" 2>&1
	rc=$?
	# A pass is an exit code 0 after at least one step, at the end of
	# the script; a skip, only where the scenario says why it may skip.
	if [ "$rc" = 0 ] && ! grep -q '^knat-scenario: reached its end$' "$log"; then
		rc=200
	elif [ "$rc" = 0 ] && ! grep -q '^-- ' "$log"; then
		rc=201
	elif [ "$rc" = 4 ] && ! grep -q '^# knat-scenario: optional ' "$script"; then
		rc=202
	fi
	# CPU its processes used (those reaped below this shell meanwhile).
	read -r -a st < "/proc/$BASHPID/stat"
	[ -s "$log.pgid" ] && kill -KILL -- "-$(cat "$log.pgid")" 2>/dev/null
	rm -f "$log.pgid"
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $ns in *"-$sfx") ip netns del "$ns" ;; esac
	done
	{
		echo "# running $name ($((SECONDS - start)) s, processes' CPU $(((st[15] + st[16] - st0[15] - st0[16]) / 100)) s)"
		sed 's/^/# /' "$log"
		case $rc in
		0) result 0 "$name" ;;
		4) echo "ok - $name # SKIP $(tail -n 1 "$log")" ;;
		124 | 137) result 1 "$name" "timed out after ${KNAT_SCENARIO_TIMEOUT}s" ;;
		200) result 1 "$name" "exit code 0 before the end of the script" ;;
		201) result 1 "$name" "exit code 0 without running a step" ;;
		202) result 1 "$name" "skipped ($(tail -n 1 "$log")), and it is not declared optional (# knat-scenario: optional WHY)" ;;
		*) result 1 "$name" "exit code $rc" ;;
		esac
	} > "$log.tap"
	# One block at a time on the TAP stream.
	flock /tmp/scenario.lock cat "$log.tap"
	rm -f "$log" "$log.tap"
}

# Scenarios run KNAT_JOBS at a time (default 2, one per CPU), the KUnit
# modules counting as one: most of their time is spent waiting on packets
# and processes, and each has namespaces of its own. (Three at a time saved 10 % and made timing-
# sensitive scenarios slow enough to fail.)
KNAT_JOBS=${KNAT_JOBS:-2}
run_scenarios() {
	local script
	for script in "$@"; do
		while [ "$(jobs -rp | wc -l)" -ge "$KNAT_JOBS" ]; do
			wait -n
		done
		run_scenario "$script" &
	done
	wait
}

echo "# guest kernel $(uname -r), $(nproc) CPUs"
# Plain insmod with nothing loaded before it, as on a stock router: knat
# reassembles with ip_defrag() (built in), so it links to no module.
deps=$(modinfo -F depends "$KNAT_BUILD_DIR/module/knat.ko")
[ -z "$deps" ]
result $? "knat.ko links to no other module" "modinfo depends: $deps"
loaded=$(grep -E '^(nf_defrag_ipv4|nf_conntrack|nf_nat) ' /proc/modules)
[ -z "$loaded" ]
result $? "no netfilter module loaded before knat.ko" "$loaded"
if out=$(insmod "$KNAT_BUILD_DIR/module/knat.ko" 2>&1); then
	result 0 "load knat.ko ($KNAT_FLAVOUR)"
else
	result 1 "load knat.ko ($KNAT_FLAVOUR)" "$out"
	exit 1
fi
for ko in ${KNAT_EXTRA_MODULES:-}; do
	out=$(insmod "$ko" 2>&1)
	result $? "load $(basename "$ko")" "$out"
done

# make check-harness: a guest that stops making progress outside any
# scenario's time limit; the host's watchdog must end it.
[ -n "${KNAT_GUEST_STALL:-}" ] && sleep 100000

export KNAT_FLAVOUR
export KNAT_CLI=$KNAT_BUILD_DIR/tools/knat/knat
export KNAT_KO=$KNAT_BUILD_DIR/module/knat.ko
export PATH=$KNAT_BUILD_DIR/tools/knat:$PATH
# The KUnit modules, one after another, as one job beside the scenarios.
run_kunit_modules() {
	local ko
	for ko in "$KNAT_BUILD_DIR"/tests/kunit/*_test.ko; do
		# None built: the host finds every suite missing.
		[ -e "$ko" ] || continue
		selected "$(basename "$ko" .ko)" || continue
		run_kunit_module "$ko" > /tmp/kunit.tap 2>&1
		flock /tmp/scenario.lock cat /tmp/kunit.tap
	done
	rm -f /tmp/kunit.tap
}
run_kunit_modules &
scenarios=() alone=()
# The longest first, so that the last to start is never a long one.
for script in "$KNAT_TOP"/tests/e2e/mapping_dump_1m.sh "$KNAT_TOP"/tests/e2e/[!_]*.sh; do
	name=$(basename "$script" .sh)
	case " ${scenarios[*]} ${alone[*]} " in *" $script "*) continue ;; esac
	if [ -n "${KNAT_SCENARIOS_ONLY:-}" ]; then
		case " $KNAT_SCENARIOS_ONLY " in *" $name "*) ;; *) continue ;; esac
	fi
	[ -e "$script" ] && selected "$name" || continue
	# make check-harness: a scenario left out, which the host must notice.
	[ "$name" = "${KNAT_DROP_SCENARIO:-}" ] && continue
	# One that unloads knat (say) runs by itself, after the others.
	if grep -q '^# knat-scenario: alone' "$script"; then
		alone+=("$script")
	else
		scenarios+=("$script")
	fi
done
# cpu_ticks: jiffies all CPUs spent busy (irq, softirq, steal included)
# and in all, so far.
cpu_ticks() {
	local user nice sys idle iowait irq softirq steal rest
	read -r _ user nice sys idle iowait irq softirq steal rest < /proc/stat
	local busy=$((user + nice + sys + irq + softirq + steal))
	echo "$busy $((busy + idle + iowait))"
}
read -r b0 a0 <<< "$(cpu_ticks)"
t0=$SECONDS
run_scenarios "${scenarios[@]}"
for script in "${alone[@]}"; do run_scenario "$script"; done
read -r b1 a1 <<< "$(cpu_ticks)"
echo "# scenarios: $((SECONDS - t0)) s, the CPUs busy $((100 * (b1 - b0) / (a1 - a0 + 1))) % of it"
# The harness self-test's deliberate failures run whatever the filter.
for ko in ${KNAT_EXTRA_KUNIT:-}; do run_kunit_module "$ko"; done
for script in ${KNAT_EXTRA_E2E:-}; do run_scenario "$script"; done

for ko in ${KNAT_EXTRA_MODULES:-}; do
	out=$(rmmod "$(basename "$ko" .ko)" 2>&1)
	result $? "unload $(basename "$ko")" "$out"
done
out=$(rmmod knat 2>&1)
result $? "unload knat.ko" "$out"

# What `make install` leaves (the module under extra/, depmod run) loads
# with modprobe. The guest's root is an overlay on tmpfs: nothing leaks
# to the host.
if [ "$KNAT_FLAVOUR" = stock ]; then
	extra=/lib/modules/$(uname -r)/extra
	out=$( { mkdir -p "$extra" && cp "$KNAT_KO" "$extra/knat.ko" &&
		depmod -a && modprobe knat && grep -q '^knat ' /proc/modules &&
		modprobe -r knat && rm -f "$extra/knat.ko" && depmod -a; } 2>&1)
	result $? "modprobe knat after install, modprobe -r" "$out"
fi

# The test kernels have kmemleak; the stock kernel does not. A scan that
# fails (kmemleak disabled itself, say after running out of its pool)
# proves nothing, so it fails.
if [ "$KNAT_FLAVOUR" != stock ]; then
	# Objects younger than 5 s are never reported: wait, then scan twice.
	sleep 6
	t0=$SECONDS
	if ! out=$( { echo scan > $kmemleak && echo scan > $kmemleak; } 2>&1); then
		result 1 "kmemleak: no leaks" "scan failed: $out" \
			"$(dmesg | grep -i kmemleak | tail -n 5)"
	else
		leaks=$(cat $kmemleak)
		echo "# kmemleak: scanned twice in $((SECONDS - t0)) s"
		[ -z "$leaks" ]
		result $? "kmemleak: no leaks" "$(printf '%s\n' "$leaks" | head -n 60)"
	fi
fi
# make check-harness: a runner that fails after every test passed.
failed=0
[ -e "$failed_mark" ] && failed=1
exit "${KNAT_RUNNER_EXIT:-$failed}"
