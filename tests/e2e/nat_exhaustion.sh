#!/bin/bash
# A full pool and a subscriber at its limit are clean, counted refusals;
# the ports already handed out keep working.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.5 out out0 ports 2000-2127 block 64
$KNAT -n "$RTR" config set max-blocks-per-subscriber 1
serve "$SRV" udp 7000

step "c1: 64 flows fill its one block, the 65th is refused"
n=$(in_ns "$C1" $PEER burst udp 198.51.100.2 7000 10000 65)
expect_eq "answered" "$n" 64
expect_eq "subscriber limit drops" "$(stat "$RTR" drop_subscriber_limit)" 1
step "c2 takes the last block; a third host finds the pool full"
n=$(in_ns "$C2" $PEER burst udp 198.51.100.2 7000 10000 64)
expect_eq "answered" "$n" 64
ip -n "$C2" addr add 10.0.1.4/24 dev eth0
expect_fail ask "$C2" udp 198.51.100.2 7000 10.0.1.4:9000 1
expect_eq "pool full drops" "$(stat "$RTR" drop_pool_full)" 1
$KNAT -n "$RTR" pool show
$KNAT -n "$RTR" -j pool show | grep -q '"blocks_used":2' || fail "blocks_used"
step "existing mappings still work"
ask "$C1" udp 198.51.100.2 7000 10000 >/dev/null || fail "c1 lost its mapping"
