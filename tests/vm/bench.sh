#!/usr/bin/env bash
# make bench, in two guests:
#   1. instruction counting (the primary figures): Debian's stock kernel
#      (no kernel build) with knat built against its headers, one vCPU,
#      qemu -icount shift=0,sleep=off,align=off; tests/bench/guest-icount.sh
#      measures packets per 10^9 instructions by the guest's own clock.
#   2. wall clock: the bench kernel flavour (the test kernel without
#      lockdep, kmemleak and the other debug options), built or found
#      cached, with knat and the microbenchmark module, 2 vCPUs, 3 GiB;
#      tests/bench/guest-bench.sh. The bench kernel keeps KUnit built in:
#      knat_bench.ko reaches knat's internals through its KUnit exports.
# Then tests/bench/report.py: a table on stdout, bench/results/DATE.json
# and the PNG charts bench/results/DATE-NAME.png (the latest also NAME.png).
# Environment: KNAT_BENCH_ONLY=icount,forward,tcp,new,micro,profile
#   (profile: perf profiles of the forwarding runs only; a list without
#   icount skips guest 1, one of icount alone skips guest 2)
#   KNAT_BENCH_REPS=5  KNAT_BENCH_WINDOW=3 (wall clock: seconds per run)
#   KNAT_ICOUNT_REPS=3  KNAT_ICOUNT_WINDOW=1 (guest seconds: 10^9
#   instructions each)  KNAT_ICOUNT_PROFILE=1 (perf profiles in the icount
#   guest: shares of instructions, by module and symbol)
#   KNAT_ICOUNT_SETS=forward,unshared,new  KNAT_ICOUNT_MODES="slow knat"
#   (plain is always run)  KNAT_ICOUNT_PROFILE_WINDOW (guest seconds a
#   profile; KNAT_ICOUNT_WINDOW's by default)
#   KNAT_BENCH_BASELINE=COMMIT (also runs that commit's knat.ko, as mode
#   "before", in both guests)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/boot.sh"
# shellcheck source=tests/vm/build.sh
. "$here/build.sh"

export KNAT_SCENARIO_TIMEOUT=3600
KNAT_STALL=${KNAT_STALL:-900}
KNAT_GUEST_LIMIT=${KNAT_GUEST_LIMIT:-5400}
KNAT_KERNEL_ARGS=${KNAT_KERNEL_ARGS:-}
start=$(date +%s)

"$here/deps.sh"
only=${KNAT_BENCH_ONLY:-}
icount=0 wall=0
{ [ -z "$only" ] || [[ $only == *icount* ]]; } && icount=1
{ [ -z "$only" ] || [ -n "$(tr , '\n' <<< "$only" | grep -vx icount)" ]; } && wall=1
out=$KNAT_BUILD/bench-run
rm -rf "$out"
mkdir -p "$out"
export KNAT_RESULTS=$out/results
: > "$KNAT_RESULTS"

# baseline_ko KDIR NAME: the module of KNAT_BENCH_BASELINE built against
# KDIR (its path on stdout), or nothing without one.
baseline_ko() {
	[ -n "${KNAT_BENCH_BASELINE:-}" ] || return 0
	local base=$KNAT_BUILD/bench-baseline-$2
	rm -rf "$base"
	mkdir -p "$base"
	git -C "$KNAT_TOP" archive "$KNAT_BENCH_BASELINE" | tar -x -C "$base" ||
		die "no commit $KNAT_BENCH_BASELINE"
	make -C "$base" KDIR="$1" module >/dev/null 2>&1 ||
		die "the baseline ($KNAT_BENCH_BASELINE) does not build against $1"
	echo "# baseline: knat.ko of $(git -C "$KNAT_TOP" log -1 --format='%h %s' "$KNAT_BENCH_BASELINE" | cut -c1-60)" >&2
	echo "$base/module/knat.ko"
}

# The guest's env.sh: write_env's and the bench's own.
bench_env() { # bench_env OUTDIR BUILDDIR FLAVOUR MODULES_DIR RUNNER BASE_KO
	write_env "$1" "$2" "$3" "$4"
	cat >> "$1/env.sh" <<-ENV
	KNAT_GUEST_RUNNER='$KNAT_TOP/tests/bench/$5'
	KNAT_BENCH_ONLY='$only'
	KNAT_BENCH_REPS='${KNAT_BENCH_REPS:-5}'
	KNAT_BENCH_WINDOW='${KNAT_BENCH_WINDOW:-3}'
	KNAT_ICOUNT_REPS='${KNAT_ICOUNT_REPS:-3}'
	KNAT_ICOUNT_WINDOW='${KNAT_ICOUNT_WINDOW:-1}'
	KNAT_ICOUNT_PROFILE='${KNAT_ICOUNT_PROFILE:-}'
	KNAT_ICOUNT_TRACE='${KNAT_ICOUNT_TRACE:-}'
	KNAT_ICOUNT_SETS='${KNAT_ICOUNT_SETS:-}'
	KNAT_ICOUNT_MODES='${KNAT_ICOUNT_MODES:-}'
	KNAT_ICOUNT_PROFILE_WINDOW='${KNAT_ICOUNT_PROFILE_WINDOW:-}'
	KNAT_BASELINE_KO='$6'
	ENV
}

kinfo=
if [ "$icount" = 1 ]; then
	kver=$(stock_kver)
	build_tree icount "$(stock_kdir)" || die "build failed"
	base_ko=$(baseline_ko "$(stock_kdir)" icount)
	mkdir -p "$out/icount"
	bench_env "$out/icount" "$KNAT_BUILD/icount" icount '' guest-icount.sh "$base_ko"
	"$here/mkinitramfs.sh" "$out/icount/initrd.gz" "$kver"
	# With sleep=off the stock kernel hangs bringing up a second vCPU;
	# icount runs one vCPU at a time anyway: it measures cost, not scaling.
	KNAT_QEMU_SMP=1 KNAT_QEMU_ARGS="-icount shift=0,sleep=off,align=off" \
		boot_guest icount "/boot/vmlinuz-$kver" "$out/icount/initrd.gz" "$out/icount" 2G
	kinfo="icount: qemu TCG -icount shift=0, 1 vCPU, kernel $kver"
fi
if [ "$wall" = 1 ]; then
	kcache=$(kernel_dir bench)
	build_tree bench "$kcache/build" KNAT_BENCH=m || die "build failed"
	base_ko=$(baseline_ko "$kcache/build" bench)
	bench_env "$out" "$KNAT_BUILD/bench" bench \
		"$kcache/root/lib/modules/$(cat "$kcache/kernelrelease")" guest-bench.sh "$base_ko"
	"$here/mkinitramfs.sh" "$out/initrd.gz"
	boot_guest bench "$kcache/bzImage" "$out/initrd.gz" "$out" 3G
	kinfo="${kinfo:+$kinfo; }wall clock: qemu TCG 2 vCPUs, kernel $(cat "$kcache/kernelrelease")"
fi
grep -q '^fail ' "$KNAT_RESULTS" && die "a benchmark failed; see $out"
for f in "$out"/profile-*.txt "$out"/icount/profile-*.txt; do
	[ -e "$f" ] || continue
	echo "== ${f##*/}: % of cpu-clock samples; top modules, knat's symbols"
	head -6 "$f"
	ko=$KNAT_BUILD/bench/module/knat.ko
	case $f in */icount/*) ko=$KNAT_BUILD/icount/module/knat.ko ;; esac
	/usr/bin/python3 "$KNAT_TOP/tests/bench/ksyms.py" "$ko" < "$f"
done
cat "$out"/icount/icount.jsonl "$out"/bench.jsonl > "$out/all.jsonl" 2>/dev/null || :
[ -s "$out/all.jsonl" ] ||
	{ echo "# make bench: $(( $(date +%s) - start )) s"; exit 0; }
/usr/bin/python3 "$KNAT_TOP/tests/bench/report.py" "$out/all.jsonl" \
	"$KNAT_TOP/bench/results" "$(uname -m), $(nproc) cores; $kinfo"
echo "# make bench: $(( $(date +%s) - start )) s"
