#!/bin/bash
# Two CPUs creating mappings at full speed (KNAT_SOAK seconds, 20 by
# default; for minutes `make check T=mapping_soak KNAT_SOAK=300
# KNAT_SCENARIO_TIMEOUT=1200`): c1 and c2 each send new UDP flows as fast
# as one CPU can, each flow twice, one sender pinned to each CPU (the
# router forwards on the sender's CPU).
# srv counts in nftables, at kernel speed, how often a packet's outside
# (address, port), its flow (which the destination names) and the pair of
# them were seen before. Every flow keeps its outside port for its life
# and no port goes to two flows exactly when each of the three is seen
# once again per flow. And the counters add up: sent = translated by
# knat = counted at srv, no drop anywhere.
. "$(dirname "$0")/_lib.sh"
need nft
need taskset
# The guest has two vCPUs (tests/vm/boot.sh): one is a broken setup.
[ "$(nproc)" -ge 2 ] || fail "needs two CPUs, the guest has $(nproc)"
SECS=${KNAT_SOAK:-20}
topo_nat
ip -n "$RTR" route add 192.0.2.0/24 via 198.51.100.2
# The senders' sources (10.2-3.x.y) live behind br-in: knat checks that a
# new flow comes from where its source is.
ip -n "$RTR" route add 10.2.0.0/15 dev br-in
# A packet backlog that holds whatever a sender's burst queues.
sysctl -qw net.core.netdev_max_backlog=100000
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0 block 256
$KNAT -n "$RTR" config set max-blocks-per-subscriber 16
# Every mapping lives through the soak and its checks, however long.
$KNAT -n "$RTR" config set timeout-udp 86400
# Long soaks make more than the default max-mappings.
$KNAT -n "$RTR" config set max-mappings 4000000
# Table soak marks what it has seen before; table tally counts the marks.
# Listing a table fetches its sets' elements, minutes' work under TCG
# once they are 100,000s (and flushing them stalls nf_tables' cleanup
# work): the counters live in a table without sets. Anonymous counters:
# the test kernel has no named objects (nft_objref).
ip netns exec "$SRV" nft -f - <<'EOF'
table ip soak {
	set outside { type ipv4_addr . inet_service; size 4194304; flags dynamic; }
	set flows { type ipv4_addr . inet_service; size 4194304; flags dynamic; }
	set pairs {
		type ipv4_addr . inet_service . ipv4_addr . inet_service
		size 4194304; flags dynamic;
	}
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip daddr 192.0.2.0/24 meta l4proto udp jump seen
	}
	chain seen {
		ip saddr . udp sport @outside meta mark set meta mark or 0x1
		ip daddr . udp dport @flows meta mark set meta mark or 0x2
		ip saddr . udp sport . ip daddr . udp dport @pairs meta mark set meta mark or 0x4
		add @outside { ip saddr . udp sport }
		add @flows { ip daddr . udp dport }
		add @pairs { ip saddr . udp sport . ip daddr . udp dport }
	}
}
table ip tally {
	chain pre {
		type filter hook prerouting priority -290; policy accept;
		ip daddr 192.0.2.0/24 meta l4proto udp jump count
	}
	chain count {
		counter comment "packets_in"
		meta mark and 0x1 == 0x1 counter comment "outside_again"
		meta mark and 0x2 == 0x2 counter comment "flow_again"
		meta mark and 0x4 == 0x4 counter comment "pair_again"
		drop
	}
}
EOF
# counter NAME: packets the rule with that comment counted, as of the
# last `counters`.
counters() { CHAIN=$(ip netns exec "$SRV" nft list table ip tally); }
counter() {
	awk -v c="\"$1\"" '$NF == c { for (i = 1; i < NF; i++)
		if ($i == "packets") print $(i + 1) }' <<< "$CHAIN"
}

step "c1 on CPU 0 and c2 on CPU 1 create flows for $SECS s"
in_ns "$C1" taskset -c 0 $PEER soak 0 "$SECS" 512 > /tmp/soak0.$$ &
s0=$!
in_ns "$C2" taskset -c 1 $PEER soak 1 "$SECS" 512 > /tmp/soak1.$$ &
s1=$!
wait $s0 || fail "sender 0"
wait $s1 || fail "sender 1"
read -r f0 p0 < /tmp/soak0.$$
read -r f1 p1 < /tmp/soak1.$$
rm -f /tmp/soak0.$$ /tmp/soak1.$$
flows=$((f0 + f1)) sent=$((p0 + p1))
echo "   $f0 + $f1 flows, $sent packets, $((flows / SECS)) new mappings/s"
[ "$f0" -ge 500 ] && [ "$f1" -ge 500 ] || fail "too few flows to prove anything"
# The last packets on their way through.
for _ in $(seq 20); do
	counters
	[ "$(counter packets_in)" -ge "$sent" ] && break
	sleep 1
done

step "each flow kept its outside port, no port went to two flows"
expect_eq "packets counted at srv" "$(counter packets_in)" "$sent"
expect_eq "outside (address, port) seen again" "$(counter outside_again)" "$flows"
expect_eq "flows seen again" "$(counter flow_again)" "$flows"
expect_eq "(outside, flow) pairs seen again" "$(counter pair_again)" "$flows"

step "knat's counters add up"
expect_eq "mappings_created" "$(stat "$RTR" mappings_created)" "$flows"
expect_eq "mappings" "$(stat "$RTR" mappings_udp)" "$flows"
expect_eq "out_translated" "$(stat "$RTR" out_translated)" "$sent"
expect_eq "drops" "$(drops "$RTR")" 0
