#!/usr/bin/env bash
# make bench: builds (or finds cached) the bench kernel flavour (the test
# kernel without lockdep, kmemleak and the other debug options), builds
# knat and the microbenchmark module against it, runs
# tests/bench/guest-bench.sh in one qemu guest (2 vCPUs, 3 GiB), then
# tests/bench/report.py: a table on stdout, bench/results/DATE.json and
# the PNG charts in bench/results/. The bench kernel keeps KUnit built
# in: knat_bench.ko reaches knat's internals through its KUnit exports.
# Environment: KNAT_BENCH_ONLY=forward,tcp,new,micro,profile (profile:
#   perf profiles of the forwarding runs only)  KNAT_BENCH_REPS=5
#   KNAT_BENCH_BASELINE=COMMIT (also runs that commit's knat.ko, as mode
#   "before", in the forwarding and new-mapping benchmarks)
#   KNAT_BENCH_WINDOW=3 (seconds per forwarding measurement)
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
kcache=$(kernel_dir bench)
out=$KNAT_BUILD/bench-run
rm -rf "$out"
mkdir -p "$out"
export KNAT_RESULTS=$out/results
: > "$KNAT_RESULTS"
build_tree bench "$kcache/build" KNAT_BENCH=m || die "build failed"
# Before/after in one run: the module of an earlier commit, as mode "before".
base_ko=
if [ -n "${KNAT_BENCH_BASELINE:-}" ]; then
	base=$KNAT_BUILD/bench-baseline
	rm -rf "$base"
	mkdir -p "$base"
	git -C "$KNAT_TOP" archive "$KNAT_BENCH_BASELINE" | tar -x -C "$base" ||
		die "no commit $KNAT_BENCH_BASELINE"
	make -C "$base" KDIR="$kcache/build" module >/dev/null 2>&1 ||
		die "the baseline ($KNAT_BENCH_BASELINE) does not build"
	base_ko=$base/module/knat.ko
	echo "# baseline: knat.ko of $(git -C "$KNAT_TOP" log -1 --format='%h %s' "$KNAT_BENCH_BASELINE" | cut -c1-60)"
fi
write_env "$out" "$KNAT_BUILD/bench" bench \
	"$kcache/root/lib/modules/$(cat "$kcache/kernelrelease")"
cat >> "$out/env.sh" <<-ENV
KNAT_GUEST_RUNNER='$KNAT_TOP/tests/bench/guest-bench.sh'
KNAT_BENCH_ONLY='${KNAT_BENCH_ONLY:-}'
KNAT_BENCH_REPS='${KNAT_BENCH_REPS:-5}'
KNAT_BENCH_WINDOW='${KNAT_BENCH_WINDOW:-3}'
KNAT_BASELINE_KO='$base_ko'
ENV
"$here/mkinitramfs.sh" "$out/initrd.gz"
boot_guest bench "$kcache/bzImage" "$out/initrd.gz" "$out" 3G
grep -q '^fail ' "$KNAT_RESULTS" && die "a benchmark failed; see $out"
for f in "$out"/profile-*.txt; do
	[ -e "$f" ] || continue
	echo "== ${f##*/}: % of cpu-clock samples; top modules, knat's symbols"
	head -6 "$f"
	/usr/bin/python3 "$KNAT_TOP/tests/bench/ksyms.py" \
		"$KNAT_BUILD/bench/module/knat.ko" < "$f"
done
[ -s "$out/bench.jsonl" ] ||
	{ echo "# make bench: $(( $(date +%s) - start )) s"; exit 0; }
/usr/bin/python3 "$KNAT_TOP/tests/bench/report.py" "$out/bench.jsonl" \
	"$KNAT_TOP/bench/results" "$(uname -m), $(nproc) cores, qemu TCG 2 vCPUs, kernel $(cat "$kcache/kernelrelease")"
echo "# make bench: $(( $(date +%s) - start )) s"
