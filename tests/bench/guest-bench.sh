#!/bin/bash
# Runs inside the bench guest (make bench): every benchmark of issue 6
# (README, "Performance"), modes interleaved (A/B/C, then again), each result
# one JSON line appended to /knat-out/bench.jsonl; progress as TAP.
#
#   snd eth0 10.1.0.1/16 -- in0 rtr out0 198.51.100.1/24 -- eth0 sink 198.51.100.2
#
# pktgen in snd sends UDP to 192.0.2.99, which rtr routes to sink; sink
# does not forward, so it counts each packet (rx_packets) and drops it
# without a reply. The router runs in one of three modes: plain
# forwarding, nftables masquerade (conntrack + nf_nat), knat.
set -u
. /knat-out/env.sh
B=$KNAT_BUILD_DIR
KNAT="$B/tools/knat/knat"
OUT=/knat-out/bench.jsonl
REPS=${KNAT_BENCH_REPS:-5}
WINDOW=${KNAT_BENCH_WINDOW:-3}	# seconds measured per forwarding run
SND=snd RTR=rtr SINK=sink
: > "$OUT"

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
note() { echo "# $*"; }
emit() { echo "$1" >> "$OUT"; note "$1"; }
now_ns() { date +%s%N; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

topology() {
	local ns
	for ns in $SND $RTR $SINK; do ip netns del $ns 2>/dev/null; done
	sleep 1
	for ns in $SND $RTR $SINK; do ip netns add $ns; done
	ip link add eth0 netns $SND type veth peer name in0 netns $RTR
	ip link add out0 netns $RTR type veth peer name eth0 netns $SINK
	ip -n $SND -batch - <<-IP
	link set lo up
	link set eth0 up
	addr add 10.1.0.1/16 dev eth0
	route add default via 10.1.255.254
	IP
	ip -n $RTR -batch - <<-IP
	link set lo up
	link set in0 up
	link set out0 up
	addr add 10.1.255.254/16 dev in0
	addr add 198.51.100.1/24 dev out0
	route add 192.0.2.0/24 via 198.51.100.2
	IP
	ip -n $SINK -batch - <<-IP
	link set lo up
	link set eth0 up
	addr add 198.51.100.2/24 dev eth0
	route add 10.1.0.0/16 via 198.51.100.1
	IP
	in_ns $RTR sysctl -qw net.ipv4.ip_forward=1
	in_ns $SINK sysctl -qw net.ipv4.ip_forward=0
	# The router resolves the sink once, not during a measurement.
	in_ns $RTR ping -c 1 -W 2 198.51.100.2 >/dev/null
	RTR_MAC=$(in_ns $RTR cat /sys/class/net/in0/address)
}

# mode_on plain|nft|knat [new]: the router's NAT; "new" sizes it for a
# million flows from 256 addresses (an address range, not one address).
mode_on() {
	case $1 in
	plain) ;;
	nft)
		local to=masquerade
		[ "${2:-}" = new ] && to="snat to 203.0.113.0-203.0.113.127"
		in_ns $RTR nft -f - <<-NFT
		table ip nat {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "out0" $to
			}
		}
		NFT
		;;
	knat | before)
		if [ "$1" = before ]; then
			swap_knat "$KNAT_BASELINE_KO"
			[ "${2:-}" = new ] && $KNAT -n $RTR config set timeout-udp 600 \
				max-blocks-per-subscriber 32
		fi
		if [ "${2:-}" = new ]; then
			$KNAT -n $RTR pool add 203.0.113.0/25 out out0 name bench
		else
			$KNAT -n $RTR masquerade add out out0
		fi
		;;
	esac
}

mode_off() {
	case $1 in
	nft) in_ns $RTR nft delete table ip nat ;;
	knat | before)
		$KNAT -n $RTR pool del bench 2>/dev/null ||
			$KNAT -n $RTR masquerade del out out0
		[ "$1" = before ] && swap_knat "$B/module/knat.ko"
		;;
	esac
}

# swap_knat KO: another build of knat.ko in its place (the baseline of a
# before/after comparison, or back); namespaces and their routes stay.
swap_knat() {
	rmmod knat && insmod "$1" || { notok "swap knat.ko for $1"; exit 1; }
}

# The modes compared; "before" (an earlier commit's knat.ko) on request.
KNATS="knat"
[ -n "${KNAT_BASELINE_KO:-}" ] && KNATS="knat before"

PG=/proc/net/pktgen
pg() { in_ns $SND sh -c "echo '$2' > $PG/$1" || note "pktgen: '$2' refused"; }

# pg_setup COUNT SRC_LO SRC_HI SPORT_LO SPORT_END: 60-byte UDP packets
# (64-byte frames with the FCS), source address and port each stepping
# through their range, one packet per step (ports: [LO, END)).
pg_setup() {
	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device eth0"
	pg eth0 "count $1"
	pg eth0 "pkt_size 60"
	pg eth0 "clone_skb 0"
	pg eth0 "delay 0"
	pg eth0 "dst 192.0.2.99"
	pg eth0 "dst_mac $RTR_MAC"
	pg eth0 "src_min $2"
	pg eth0 "src_max $3"
	pg eth0 "udp_src_min $4"
	pg eth0 "udp_src_max $5"
	pg eth0 "udp_dst_min 9"
	pg eth0 "udp_dst_max 9"
}

sink_rx() { in_ns $SINK cat /sys/class/net/eth0/statistics/rx_packets; }

# forward MODE FLOWS REP: packets/s the sink receives, established flows.
forward() {
	local mode=$1 flows=$2 rep=$3 r0 r1 t0 t1 pid
	mode_on "$mode"
	pg_setup 0 10.1.0.2 10.1.0.2 10000 $((10000 + flows))
	in_ns $SND sh -c "echo start > $PG/pgctrl" &
	pid=$!
	sleep 1		# every flow seen: mappings and conntrack entries made
	r0=$(sink_rx); t0=$(now_ns)
	sleep "$WINDOW"
	r1=$(sink_rx); t1=$(now_ns)
	in_ns $SND sh -c "echo stop > $PG/pgctrl"
	wait $pid
	mode_off "$mode"
	emit "{\"bench\":\"forward\",\"mode\":\"$mode\",\"flows\":$flows,\"rep\":$rep,\"pps\":$(( (r1 - r0) * 1000000000 / (t1 - t0) ))}"
}

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
	pg_setup 2096640 10.1.0.0 10.1.1.255 1024 5119
	t0=$(now_ns)
	in_ns $SND sh -c "echo start > $PG/pgctrl" &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		sleep 0.5
		n=$(entries "$mode")
		[ "${n:-0}" -ge $NEW_TARGET ] && break
	done
	t1=$(now_ns)
	in_ns $SND sh -c "echo stop > $PG/pgctrl"
	wait $pid
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
	in_ns $SINK iperf3 -s -p 5201 >/dev/null 2>&1 &
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

# profile NAME MODE [new] FLOWS: where the router's CPU time goes while it
# forwards established flows, or (new) while every packet opens a flow:
# perf, cpu-clock samples on every CPU, by module and by symbol, in
# /knat-out/profile-NAME.txt. Only with KNAT_BENCH_ONLY=profile: sampling
# costs time of its own.
profile() {
	local name=$1 mode=$2 pid data=/knat-out/perf-$1.data txt=/knat-out/profile-$1.txt
	if [ "$3" = new ]; then
		topology
		$KNAT -n $RTR config set timeout-udp 600 max-blocks-per-subscriber 32
		$KNAT -n $RTR config set max-mappings 4000000 2>/dev/null || :
	# A million flows: above the default max-mappings (a baseline module
	# from before the limits has none to raise).
	$KNAT -n $RTR config set max-mappings 4000000 2>/dev/null || :
		mode_on "$mode" new
		pg_setup 2096640 10.1.0.0 10.1.1.255 1024 5119
	else
		mode_on "$mode"
		pg_setup 0 10.1.0.2 10.1.0.2 10000 $((10000 + $3))
	fi
	in_ns $SND sh -c "echo start > $PG/pgctrl" &
	pid=$!
	sleep 1
	perf record -q -a -e cpu-clock -F 2000 -o "$data" -- sleep "$WINDOW" 2>/dev/null
	in_ns $SND sh -c "echo stop > $PG/pgctrl"
	wait $pid
	mode_off "$mode"
	{
		perf report -q -i "$data" --stdio --no-children --sort dso \
			--percent-limit 0.5
		echo
		perf report -q -i "$data" --stdio --no-children --sort dso,sym \
			--percent-limit 0.1
	} 2>/dev/null | grep -v '^$' > "$txt"
	rm -f "$data"
	note "profile $name: $(grep -m1 -F '[knat]' "$txt" || echo 'knat < 0.5 %')"
}

if [[ ${KNAT_BENCH_ONLY:-} == *profile* ]]; then
	topology
	for flows in 64 4096; do
		for mode in plain nft knat; do
			profile "$mode-$flows" $mode $flows
		done
	done
	for mode in nft knat; do
		profile "$mode-new" $mode new
	done
	ok "profiles: 3 modes x 64, 4096 flows; new flows (profile-*.txt)"
fi

for ns in $SND $RTR $SINK; do ip netns del $ns 2>/dev/null; done
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
