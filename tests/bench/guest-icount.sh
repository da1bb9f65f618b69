#!/bin/bash
# Runs inside the instruction-counting guest of make bench: qemu
# -icount shift=0,sleep=off,align=off, one vCPU, Debian's stock kernel.
# The guest's clock advances a nanosecond per instruction emulated, so a
# rate it measures with its own clock is events per 10^9 instructions,
# whatever the host does. Each result one JSON line appended to
# /knat-out/icount.jsonl; progress as TAP. Topology, modes: _bench_lib.sh.
#
#   icount_forward: established UDP flows (1 and 4096), modes plain,
#     nft, ft (nft + flowtable), knat (fast path), slow (knat's normal
#     path, fastpath 0) [, before]
#   icount_unshared: the same, in the topology whose router receives
#     packets as from a NIC (a forwarding namespace in front: pktgen's
#     own are shared, and the router has to copy them to write)
#   icount_new: a new flow every packet, plain, nft (conntrack + nf_nat,
#     snat to a /25), knat (a /25 pool) and slow [, before]; each run in a new
#     topology, so no entry of an earlier run is found again
#   icount_steady: the same, into tables that PREFILL (205,000) flows
#     from other sources filled first: knat's tables grew to 524,288
#     buckets at 196,608 entries and grow again only at 393,216, so no
#     resize falls in the window, as on a router that has run a while;
#     conntrack's hash is given as many buckets (nf_conntrack_buckets,
#     65,536 by default in this guest), as an operator sizes it for such a
#     table. "entries" in each line: before and after the window.
#
# For work on one path: KNAT_ICOUNT_SETS (forward,unshared,new,steady: the sets
# run), KNAT_ICOUNT_MODES (the modes run, in every set and profile; plain
# always, for the overheads), KNAT_ICOUNT_PROFILE_WINDOW (guest seconds a
# profile, 2,000 samples each second; KNAT_ICOUNT_WINDOW's by default).
set -u
. /knat-out/env.sh
[ -n "${KNAT_ICOUNT_TRACE:-}" ] && set -x
OUT=/knat-out/icount.jsonl
REPS=${KNAT_ICOUNT_REPS:-3}
WINDOW=${KNAT_ICOUNT_WINDOW:-1}
# 0.2 s: 20,000 packets, every flow seen many times over (idle time is
# skipped, busy time costs host time: a guest second is 10^9 instructions).
WARMUP=0.2
# shellcheck source=tests/bench/_bench_lib.sh
. "$KNAT_TOP/tests/bench/_bench_lib.sh"
: > "$OUT"

KNATS="knat"
[ -n "${KNAT_BASELINE_KO:-}" ] && KNATS="knat before"
SETS=,${KNAT_ICOUNT_SETS:-forward,unshared,new,steady},
# What the ok lines say was run, when not all of it was.
ONLY="${KNAT_ICOUNT_MODES:+ (modes: plain $KNAT_ICOUNT_MODES)}"
# wanted MODE: is MODE among KNAT_ICOUNT_MODES (all without it)?
wanted() { [[ " plain ${KNAT_ICOUNT_MODES:-$1} " == *" $1 "* ]]; }

# Debian's stock kernel: virtio, netfilter and pktgen are modules.
for m in nf_defrag_ipv4 pktgen nf_conntrack nft_masq nft_nat nft_flow_offload \
	nf_flow_table_inet; do
	modprobe "$m" || { notok "modprobe $m"; exit 1; }
done
insmod "$B/module/knat.ko" || { notok "insmod knat"; exit 1; }
sysctl -qw net.netfilter.nf_conntrack_max=2000000
ok "icount guest up: $(uname -r), $(nproc) CPU, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"

# A new topology, and a first run in it that is not measured: the first
# run after the set-up can cost more (its leftovers).
fresh() {
	topology "$@"
	PREFILL= OUT=/dev/null WINDOW=0.3 rate icount_warmup plain 1 0
}

# established BENCH [TOPOLOGY]: 1 and 4096 flows in every mode, REPS
# times, in a fresh TOPOLOGY.
established() {
	local bench=$1 rep flows mode
	fresh ${2:+"$2"}
	for rep in $(seq "$REPS"); do
		for flows in 1 4096; do
			for mode in plain nft ft $KNATS slow; do
				wanted $mode || continue
				rate "$bench" $mode $flows "$rep"
			done
		done
	done
	ok "$bench: established flows, 1 and 4096, plain nft ft $KNATS slow x $REPS$ONLY"
}

[[ $SETS == *,forward,* ]] && established icount_forward
[[ $SETS == *,unshared,* ]] && established icount_unshared feed

# sized: the router's tables take every flow of a run, none expires.
sized() {
	in_ns $RTR sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
	$KNAT -n $RTR config set timeout-udp 600 max-blocks-per-subscriber 32 \
		max-mappings 4000000
}

# new_flows BENCH: a new flow every packet, in every mode, REPS times,
# each run in a fresh topology.
new_flows() {
	local rep mode
	for rep in $(seq "$REPS"); do
		for mode in plain nft $KNATS slow; do
			wanted $mode || continue
			fresh
			sized
			rate "$1" $mode new "$rep"
		done
	done
}

if [[ $SETS == *,new,* ]]; then
	new_flows icount_new
	ok "icount: a new flow every packet, plain nft $KNATS slow x $REPS$ONLY"
fi
CT_BUCKETS=$(sysctl -n net.netfilter.nf_conntrack_buckets)
STEADY_BUCKETS=524288
PREFILL_FLOWS=205000
# A steady profile's table: past the growth at 393,216 entries (to
# 1,048,576 buckets), the next at 786,432. perf starts while pktgen runs,
# slowly on the one CPU: from 205,000 a profile's window crossed 393,216,
# and about 1,000 insns a new flow of rht_deferred_worker in it were that
# rehash, not the steady table's. The rates' windows end near 360,000.
PROFILE_PREFILL_FLOWS=400000
if [[ $SETS == *,steady,* ]]; then
	sysctl -qw net.netfilter.nf_conntrack_buckets=$STEADY_BUCKETS
	PREFILL=$PREFILL_FLOWS new_flows icount_steady
	sysctl -qw net.netfilter.nf_conntrack_buckets="$CT_BUCKETS"
	ok "icount: a new flow every packet into $PREFILL_FLOWS entries, plain nft $KNATS slow x $REPS$ONLY"
fi

# KNAT_ICOUNT_PROFILE=1: where the instructions go, by symbol.
if [ "${KNAT_ICOUNT_PROFILE:-}" = 1 ]; then
	WINDOW=${KNAT_ICOUNT_PROFILE_WINDOW:-$WINDOW}
	topology
	for mode in plain nft ft $KNATS slow; do
		wanted $mode || continue
		profile "icount-$mode-1" $mode 1
	done
	# fresh: the last topology's teardown (a table of 350,000 entries
	# freed) before the window, not in it.
	for mode in nft $KNATS slow; do
		wanted $mode || continue
		fresh
		sized
		profile "icount-$mode-new" $mode new
	done
	sysctl -qw net.netfilter.nf_conntrack_buckets=$STEADY_BUCKETS
	for mode in nft $KNATS slow; do
		wanted $mode || continue
		fresh
		sized
		PREFILL=$PROFILE_PREFILL_FLOWS profile "icount-$mode-steady" $mode new
	done
	sysctl -qw net.netfilter.nf_conntrack_buckets="$CT_BUCKETS"
	topology feed
	for mode in ft knat; do
		wanted $mode || continue
		profile "icount-unshared-$mode-1" $mode 1
	done
	ok "icount profiles: 1 flow, plain nft ft $KNATS slow; new flows, from empty and steady, nft $KNATS slow; unshared, ft knat$ONLY"
fi

teardown
sleep 1
rmmod knat && ok "rmmod knat" || notok "rmmod knat"
