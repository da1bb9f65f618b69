# shellcheck shell=bash
# What both bench guests share (guest-bench.sh: wall clock, the bench
# kernel; guest-icount.sh: instruction counting, the stock kernel): the
# topology, the router's modes, pktgen and the rate the sink receives.
#
#   snd eth0 10.1.0.1/16 -- in0 rtr out0 198.51.100.1/24 -- eth0 sink 198.51.100.2
#
# pktgen in snd sends UDP to 192.0.2.99, which rtr routes to sink: by a
# next hop 198.51.100.3 whose neighbour entry is a MAC address not the
# sink's. The sink counts each packet (rx_packets) and drops it at once,
# as for another host (PACKET_OTHERHOST in ip_rcv), with no reply, no
# route lookup and no route allocated. (A host that cannot deliver a
# packet allocates a route for it, freed after an RCU grace period:
# those frees ran in some windows and not in others, a few hundred
# instructions a packet that the router's mode did not decide.)
#
# pktgen keeps a reference to each skb it sends, so the router receives
# them shared: whoever writes to one must copy it first
# (ip_rcv_core() clones it, the forward path copies the header), where
# a NIC's packets are the router's alone. "topology feed" puts a
# forwarding namespace in front of the router, whose packets then come
# as a NIC's do (neither shared nor cloned):
#
#   snd eth0 10.1.0.1/16 -- fin0 feed fout0 10.2.0.1/30 -- in0 rtr ...
#
# Sourced after /knat-out/env.sh; the caller sets OUT
# (the JSON lines file), WINDOW (seconds measured per rate) and may set
# WARMUP (seconds before it, 1).
B=$KNAT_BUILD_DIR
KNAT="$B/tools/knat/knat"
SND=snd RTR=rtr SINK=sink FEED=feed

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
note() { echo "# $*"; }
emit() { echo "$1" >> "$OUT"; note "$1"; }
now_ns() { date +%s%N; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

topology() {
	local ns first=$RTR first_if=in0
	# The holders keep a deleted namespace alive: they go first.
	teardown
	sleep 1
	TOPOLOGY=${1:-direct}
	[ "$TOPOLOGY" = feed ] && first=$FEED first_if=fin0
	for ns in $SND $RTR $SINK; do ip netns add $ns; done
	[ "$TOPOLOGY" = feed ] && ip netns add $FEED
	ip link add eth0 netns $SND type veth peer name $first_if netns $first
	ip link add out0 netns $RTR type veth peer name eth0 netns $SINK
	ip -n $SND -batch - <<-IP
	link set lo up
	link set eth0 up
	addr add 10.1.0.1/16 dev eth0
	route add default via 10.1.255.254
	IP
	if [ "$TOPOLOGY" = feed ]; then
		ip link add fout0 netns $FEED type veth peer name in0 netns $RTR
		ip -n $FEED -batch - <<-IP
		link set lo up
		link set fin0 up
		link set fout0 up
		addr add 10.1.255.254/16 dev fin0
		addr add 10.2.0.1/30 dev fout0
		route add default via 10.2.0.2
		IP
		ip -n $RTR -batch - <<-IP
		link set lo up
		link set in0 up
		link set out0 up
		addr add 10.2.0.2/30 dev in0
		addr add 198.51.100.1/24 dev out0
		route add 10.1.0.0/16 via 10.2.0.1
		IP
		in_ns $FEED sysctl -qw net.ipv4.ip_forward=1
		in_ns $FEED ping -c 1 -W 2 10.2.0.2 >/dev/null
	else
		ip -n $RTR -batch - <<-IP
		link set lo up
		link set in0 up
		link set out0 up
		addr add 10.1.255.254/16 dev in0
		addr add 198.51.100.1/24 dev out0
		IP
	fi
	ip -n $RTR -batch - <<-IP
	route add 192.0.2.0/24 via 198.51.100.3
	neigh replace 198.51.100.3 lladdr 02:00:00:00:00:99 dev out0 nud permanent
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
	# pktgen's packets go to the first hop's MAC address.
	RTR_MAC=$(in_ns $first cat /sys/class/net/$first_if/address)
	# A process in each end's namespace: /proc/PID/net shows its
	# counters to the shell, which reads them with no fork or exec.
	ip netns exec $SND sleep infinity &
	SND_PID=$!
	ip netns exec $SINK sleep infinity &
	SINK_PID=$!
	local self
	self=$(readlink /proc/self/ns/net)
	until [ "$(readlink /proc/$SND_PID/ns/net)" != "$self" ] &&
		[ "$(readlink /proc/$SINK_PID/ns/net)" != "$self" ]; do
		kill -0 "$SND_PID" "$SINK_PID" 2>/dev/null ||
			{ notok "topology: a namespace holder died"; exit 1; }
		sleep 0.1
	done
}

# counters: RX (packets the sink received), SENT (pktgen's), NOW (ns),
# read by the shell alone: a fork or exec here would cost more
# instructions than a thousand packets, inside the measured window.
counters() {
	local l
	mapfile -t _lines < "/proc/$SINK_PID/net/dev"
	for l in "${_lines[@]}"; do
		if [[ $l == *eth0:* ]]; then
			# shellcheck disable=SC2086
			set -- ${l#*:}
			RX=$2
		fi
	done
	SENT=0
	if [ -e "/proc/$SND_PID/net/pktgen/eth0" ]; then
		mapfile -t _lines < "/proc/$SND_PID/net/pktgen/eth0"
		for l in "${_lines[@]}"; do
			if [[ $l == *pkts-sofar:* ]]; then
				# shellcheck disable=SC2086
				set -- ${l#*pkts-sofar:}
				SENT=$1
			fi
		done
	fi
	NOW=${EPOCHREALTIME/./}000
}

# nap SECONDS: sleep without an exec (read's timeout on a pipe nobody
# writes to).
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ || :; }

# teardown: the namespaces and their holders gone.
teardown() {
	local ns
	[ -n "${SND_PID:-}" ] && kill "$SND_PID" "$SINK_PID" 2>/dev/null
	SND_PID=
	for ns in $SND $FEED $RTR $SINK; do ip netns del $ns 2>/dev/null; done
}

# The router's NAT, by mode: plain (none), nft (nftables masquerade:
# conntrack + nf_nat), ft (nft and a flowtable: established flows skip
# the forwarding path at ingress), knat (its fast path on, the default),
# slow (knat with fastpath 0: its normal path), before (an earlier
# commit's knat.ko). mode_on MODE [new]: "new" sizes it for a million flows from
# 256 addresses (an address range, not one address).
mode_on() {
	case $1 in
	plain) ;;
	nft | ft)
		local to=masquerade ft='' fwd=''
		[ "${2:-}" = new ] && to="snat to 203.0.113.0-203.0.113.127"
		if [ "$1" = ft ]; then
			ft="flowtable f { hook ingress priority 0; devices = { in0, out0 }; }"
			fwd="chain forward { type filter hook forward priority filter; meta l4proto { tcp, udp } flow add @f; }"
		fi
		in_ns $RTR nft -f - <<-NFT
		table ip nat {
			$ft
			$fwd
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "out0" $to
			}
		}
		NFT
		;;
	knat | slow | before)
		if [ "$1" = before ]; then
			swap_knat "$KNAT_BASELINE_KO"
			# The module's defaults again: as sized() sets them (a
			# baseline older than max-mappings refuses that one).
			if [ "${2:-}" = new ]; then
				$KNAT -n $RTR config set timeout-udp 600 max-blocks-per-subscriber 32
				$KNAT -n $RTR config set max-mappings 4000000 2>/dev/null || :
			fi
		fi
		if [ "${2:-}" = new ]; then
			$KNAT -n $RTR pool add 203.0.113.0/25 out out0 name bench
		else
			$KNAT -n $RTR masquerade add out out0
		fi
		[ "$1" = slow ] && $KNAT -n $RTR config set fastpath 0
		;;
	esac
}

mode_off() {
	case $1 in
	nft | ft) in_ns $RTR nft delete table ip nat ;;
	knat | slow | before)
		# Outside the window: how many took the fast path, if any.
		note "$1: $($KNAT -n $RTR -j stats | grep -o '"fastpath":[0-9]*' || echo 'no fastpath counter')"
		$KNAT -n $RTR pool del bench 2>/dev/null ||
			$KNAT -n $RTR masquerade del out out0
		[ "$1" = slow ] && $KNAT -n $RTR config set fastpath 1
		[ "$1" = before ] && swap_knat "$B/module/knat.ko"
		;;
	esac
}

# swap_knat KO: another build of knat.ko in its place (the baseline of a
# before/after comparison, or back); namespaces and their routes stay.
swap_knat() {
	rmmod knat && insmod "$1" || { notok "swap knat.ko for $1"; exit 1; }
}

PG=/proc/net/pktgen
pg() { in_ns $SND sh -c "echo '$2' > $PG/$1" || note "pktgen: '$2' refused"; }

# pg_running: is pktgen's thread running eth0? (Its state, read by the
# shell: "Running: eth0 " then "Stopped: ...".)
pg_running() {
	local l
	mapfile -t _lines < "/proc/$SND_PID/net/pktgen/kpktgend_0"
	for l in "${_lines[@]}"; do
		[[ $l == Running:* ]] && [[ $l == *eth0* ]] && return 0
	done
	return 1
}

# pg_setup COUNT SRC_LO SRC_HI SPORT_LO SPORT_END: 60-byte UDP packets
# (64-byte frames with the FCS), source address and port each stepping
# through their range, one packet per step (ports: [LO, END)). The
# device is added once a topology and set again for each run: pktgen's
# thread removes devices when it next looks (it may be late), and would
# remove the new one, or refuse it while the old one is there.
pg_setup() {
	if [ ! -e "/proc/$SND_PID/net/pktgen/eth0" ]; then
		pg kpktgend_0 "add_device eth0"
		[ -e "/proc/$SND_PID/net/pktgen/eth0" ] ||
			{ notok "pktgen: no device eth0"; exit 1; }
	fi
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

# pg_stop PID: pktgen stopped (by its own state, not by the writer of
# "start" returning: a start its thread has not taken yet returns at
# once, and a stop before it leaves it running), then PID gone. Its
# thread looks at its requests a few times a second.
pg_stop() {
	local i
	in_ns $SND sh -c "echo stop > $PG/pgctrl"
	for i in $(seq 50); do
		pg_running || break
		nap 0.1
		if [ $((i % 10)) = 0 ]; then
			note "pktgen: still running $((i / 10)) s after stop"
			in_ns $SND sh -c "echo stop > $PG/pgctrl"
		fi
	done
	pg_running && { notok "pktgen does not stop"; exit 1; }
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# pg_started: wait (up to 5 s) until pktgen's thread runs eth0.
pg_started() {
	local i
	for i in $(seq 100); do
		pg_running && return 0
		nap 0.05
	done
	notok "pktgen did not start"
	exit 1
}

# quiet: wait (up to 10 s) until the CPUs are idle: the teardown of the
# last namespaces (a million conntrack entries or mappings freed in the
# background) is not to be counted in the next measurement.
quiet() {
	local a b i busy total
	for i in $(seq 20); do
		mapfile -t a < /proc/stat
		nap 0.5
		mapfile -t b < /proc/stat
		# shellcheck disable=SC2086
		set -- ${a[0]#cpu} ${b[0]#cpu}
		# user nice system idle iowait irq softirq steal guest
		# guest_nice, before ($1-$10) and after (${11}-${20})
		busy=$(( (${11} + ${12} + ${13} + ${16} + ${17}) - ($1 + $2 + $3 + $6 + $7) ))
		total=$(( busy + (${14} - $4) ))
		[ "$total" -gt 0 ] && [ $((busy * 100)) -le "$total" ] && return 0
	done
	note "quiet: the CPUs still busy after 10 s ($busy of $total)"
}

# Every packet a new flow: 512 source addresses and 4095 source ports
# step together, 2,096,640 (their product, coprime) pairs before one
# repeats. COUNT: 0 for no end.
pg_new_flows() { pg_setup "$1" 10.1.0.0 10.1.1.255 1024 5119; }

# entries: the router's table, as many entries as it holds (knat's
# mappings, or conntrack's), or 0.
entries() {
	local n
	n=$($KNAT -n $RTR -j stats 2>/dev/null | grep -o '"mappings":[0-9]*')
	[ -n "$n" ] && [ "${n#*:}" != 0 ] && { echo "${n#*:}"; return; }
	in_ns $RTR cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0
}

# prefill N: N new flows from sources the measured ones never use
# (10.1.2.0/23), sent to their end, then the router idle again (a table
# that grew has moved its entries): the table holds them when the
# measurement begins.
prefill() {
	pg_setup "$1" 10.1.2.0 10.1.3.255 1024 5119
	in_ns $SND sh -c "echo start > $PG/pgctrl"
	quiet
	PREFILLED=$(entries)
	note "prefill: $1 flows sent, $PREFILLED entries"
}

# pg_begin MODE FLOWS: the router in MODE, pktgen sending FLOWS (as for
# rate()) in the background: $! is the shell whose "start" blocks while
# pktgen runs.
pg_begin() {
	PREFILLED=
	if [ "$2" = new ]; then
		mode_on "$1" new
		[ -n "${PREFILL:-}" ] && prefill "$PREFILL"
		pg_new_flows 0
	else
		mode_on "$1"
		pg_setup 0 10.1.0.2 10.1.0.2 10000 $((10000 + $2))
	fi
	# Not through in_ns: $! must be the process blocked in the write.
	ip netns exec $SND sh -c "echo start > $PG/pgctrl" &
}

# rate BENCH MODE FLOWS REP: packets/s the sink receives over WINDOW
# seconds, after WARMUP in which the flows are seen (mappings, conntrack
# entries, flowtable entries made). FLOWS: established flows (source
# ports cycling), or "new" for a new flow every packet; with PREFILL=N,
# into a table N flows have filled first (prefill()), and the entries
# before and after the window in the line emitted.
rate() {
	local bench=$1 mode=$2 flows=$3 rep=$4 r0 r1 s0 s1 t0 t1 pid after
	note "rate: $bench $mode $flows flows, repetition $rep"
	quiet
	pg_begin "$mode" "$flows"
	pid=$!
	pg_started
	nap "${WARMUP:-1}"
	counters; r0=$RX s0=$SENT t0=$NOW
	nap "$WINDOW"
	counters; r1=$RX s1=$SENT t1=$NOW
	pg_stop "$pid"
	[ -n "${PREFILL:-}" ] && after=$(entries)
	mode_off "$mode"
	[ "$flows" = new ] && flows='"new"'
	# sent: what pktgen sent meanwhile (its count is updated in batches):
	# a router that drops shows here, not as a lower rate alone.
	emit "{\"bench\":\"$bench\",\"mode\":\"$mode\",\"flows\":$flows,\"rep\":$rep,\"pps\":$(( (r1 - r0) * 1000000000 / (t1 - t0) )),\"sent_pps\":$(( (s1 - s0) * 1000000000 / (t1 - t0) ))${PREFILL:+,\"prefilled\":${PREFILLED:-0},\"entries_after\":${after:-0}}}"
}

# profile NAME MODE FLOWS: where the router's time goes (FLOWS as for
# rate(); for "new", a fresh topology, sized, first): perf, cpu-clock
# samples on every CPU for WINDOW seconds, by module and by symbol, in
# /knat-out/profile-NAME.txt. Under icount the clock is the instruction
# count: the shares are shares of instructions.
profile() {
	local name=$1 mode=$2 flows=$3 pid data=/knat-out/perf-$1.data txt=/knat-out/profile-$1.txt
	pg_begin "$mode" "$flows"
	pid=$!
	pg_started
	sleep "${WARMUP:-1}"
	perf record -q -a -e cpu-clock -F 2000 -o "$data" -- sleep "$WINDOW" 2>/dev/null
	pg_stop "$pid"
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
