#!/bin/bash
# Runs inside the bench guest (make bench): every benchmark of issue 6
# (README, "Performance"), modes interleaved (A/B/C, then again), each result
# one JSON line appended to /knat-out/bench.jsonl; progress as TAP. The
# topology and the router's modes: _bench_lib.sh. Here the router runs
# plain forwarding, nftables masquerade (conntrack + nf_nat) and knat.
set -u
. /knat-out/env.sh
OUT=/knat-out/bench.jsonl
REPS=${KNAT_BENCH_REPS:-5}
WINDOW=${KNAT_BENCH_WINDOW:-3}	# seconds measured per forwarding run
# shellcheck source=tests/bench/_bench_lib.sh
. "$KNAT_TOP/tests/bench/_bench_lib.sh"
: > "$OUT"

# The modes compared; "before" (an earlier commit's knat.ko) on request.
KNATS="knat"
[ -n "${KNAT_BASELINE_KO:-}" ] && KNATS="knat before"

# forward MODE FLOWS REP: packets/s the sink receives, established flows.
forward() { rate forward "$@"; }

# The kernel's memory in use, in kB, once it stops changing: page cache
# dropped, the last namespace's teardown (asynchronous) finished.
mem_used_kb() {
	local a b
	for _ in $(seq 30); do
		sync
		echo 3 > /proc/sys/vm/drop_caches
		a=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
		sleep 2
		b=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
		[ $(( a > b ? a - b : b - a )) -lt 1024 ] && break
	done
	echo $(( -b ))
}

# The last run's conntrack entries, freed in the background after its
# namespace went, are gone (else the next memory baseline is too high).
ct_drained() {
	local n
	for _ in $(seq 60); do
		n=$(awk '$1 == "nf_conntrack" { print $2 }' /proc/slabinfo)
		[ "${n:-0}" -lt 10000 ] && return
		sleep 1
	done
	note "conntrack entries still being freed"
}

entries() { # what the router's table holds
	if [ "$1" != nft ]; then
		$KNAT -n $RTR -j stats | grep -o '"mappings":[0-9]*' | cut -d: -f2
	else
		in_ns $RTR cat /proc/sys/net/netfilter/nf_conntrack_count
	fi
}

# newflows MODE REP: packets that are each a new flow (512 source
# addresses x 4095 source ports, 2,096,640 distinct), until the table
# holds 1 M entries: entries made a second, and memory per entry.
NEW_TARGET=1000000
newflows() {
	local mode=$1 rep=$2 m0 m1 t0 t1 n=0 pid slab size
	topology
	in_ns $RTR sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600 2>/dev/null
	$KNAT -n $RTR config set timeout-udp 600 max-blocks-per-subscriber 32
	# A million flows: above the default max-mappings (a baseline module
	# from before the limits has none to raise).
	$KNAT -n $RTR config set max-mappings 4000000 2>/dev/null || :
	ct_drained
	m0=$(mem_used_kb)
	mode_on "$mode" new
	pg_new_flows 2096640
	t0=$(now_ns)
	ip netns exec $SND sh -c "echo start > $PG/pgctrl" &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		sleep 0.5
		n=$(entries "$mode")
		[ "${n:-0}" -ge $NEW_TARGET ] && break
	done
	t1=$(now_ns)
	pg_stop $pid
	sleep 1
	n=$(entries "$mode")
	m1=$(mem_used_kb)
	slab=knat_map
	[ "$mode" = nft ] && slab=nf_conntrack
	size=$(cat /sys/kernel/slab/$slab/slab_size 2>/dev/null)
	emit "{\"bench\":\"new_mappings\",\"mode\":\"$mode\",\"rep\":$rep,\"entries\":$n,\"seconds\":$(( (t1 - t0) / 1000000 ))e-3,\"per_second\":$(( n * 1000000000 / (t1 - t0) )),\"bytes_per_entry\":$(( (m1 - m0) * 1024 / (n > 0 ? n : 1) )),\"slab_object\":${size:-0},\"rx_dropped\":$(in_ns $RTR cat /sys/class/net/in0/statistics/rx_dropped)}"
	mode_off "$mode"
}

# tcp MODE STREAMS REP: iperf3 from snd to sink through the router.
tcp() {
	local mode=$1 streams=$2 rep=$3 bps
	mode_on "$mode"
	bps=$(in_ns $SND iperf3 -c 198.51.100.2 -t 4 -P "$streams" -J 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))' 2>/dev/null)
	mode_off "$mode"
	emit "{\"bench\":\"tcp\",\"mode\":\"$mode\",\"streams\":$streams,\"rep\":$rep,\"bits_per_second\":${bps:-0}}"
}

modprobe nf_defrag_ipv4 && insmod "$B/module/knat.ko" || { notok "insmod knat"; exit 1; }
modprobe pktgen && modprobe nf_conntrack && modprobe nft_masq && modprobe nft_nat ||
	{ notok "modprobe pktgen / nftables"; exit 1; }
sysctl -qw net.netfilter.nf_conntrack_max=2000000
echo 1048576 > /sys/module/nf_conntrack/parameters/hashsize
ok "bench guest up: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"

if [ -z "${KNAT_BENCH_ONLY:-}" ] || [[ $KNAT_BENCH_ONLY == *forward* ]]; then
	topology
	for rep in $(seq "$REPS"); do
		for flows in 1 64 4096; do
			for mode in plain nft $KNATS; do
				forward $mode $flows "$rep"
			done
		done
	done
	ok "forwarding: 3 modes x 1, 64, 4096 flows x $REPS"
fi

if [ -z "${KNAT_BENCH_ONLY:-}" ] || [[ $KNAT_BENCH_ONLY == *tcp* ]]; then
	topology
	ip netns exec $SINK iperf3 -s -p 5201 >/dev/null 2>&1 &
	sleep 1
	for rep in $(seq 2); do
		for streams in 1 8; do
			for mode in plain nft $KNATS; do
				tcp $mode $streams "$rep"
			done
		done
	done
	kill %% 2>/dev/null
	ok "tcp: iperf3 1 and 8 streams, 3 modes x 2"
fi

if [ -z "${KNAT_BENCH_ONLY:-}" ] || [[ $KNAT_BENCH_ONLY == *new* ]]; then
	for rep in 1 2; do
		for mode in $KNATS nft; do
			newflows $mode "$rep"
		done
	done
	ok "new mappings: knat and conntrack + nf_nat to a million entries x 2"
fi

if [[ ${KNAT_BENCH_ONLY:-} == *profile* ]]; then
	topology
	for flows in 64 4096; do
		for mode in plain nft knat; do
			profile "$mode-$flows" $mode $flows
		done
	done
	for mode in nft knat; do
		topology
		$KNAT -n $RTR config set timeout-udp 600 max-blocks-per-subscriber 32
		$KNAT -n $RTR config set max-mappings 4000000 2>/dev/null || :
		profile "$mode-new" $mode new
	done
	ok "profiles: 3 modes x 64, 4096 flows; new flows (profile-*.txt)"
fi

teardown
sleep 2
if [ -z "${KNAT_BENCH_ONLY:-}" ] || [[ $KNAT_BENCH_ONLY == *micro* ]]; then
	dmesg -C
	if insmod "$B/tests/bench/knat_bench.ko"; then
		dmesg -t | sed -n 's/^knat_bench: \({.*}\)$/\1/p' | while read -r l; do emit "$l"; done
		rmmod knat_bench
		ok "microbenchmarks: lookup and allocation"
	else
		notok "microbenchmarks: insmod knat_bench"
	fi
fi
rmmod knat && ok "rmmod knat" || notok "rmmod knat"
