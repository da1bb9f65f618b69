#!/bin/bash
# Port forwards and 1:1 NAT: outside hosts reach an inside server through
# the outside address, its replies leave from that address, and the
# inside host of a 1:1 entry is the outside address both ways.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0
serve "$C1" tcp 80 udp 53

step "forward tcp 203.0.113.250:8080-8081 and udp :5353 to c1"
$KNAT -n "$RTR" forward add tcp 203.0.113.250:8080-8081 to 10.0.1.2:80-81
$KNAT -n "$RTR" forward add udp 203.0.113.250:5353 to 10.0.1.2:53
$KNAT -n "$RTR" forward show
got=$(ask "$SRV" tcp 203.0.113.250 8080 41000) || fail "tcp forward"
expect_eq "c1 saw (tcp)" "$got" "198.51.100.2:41000"
got=$(ask "$SRV" udp 203.0.113.250 5353 41001) || fail "udp forward"
expect_eq "c1 saw (udp)" "$got" "198.51.100.2:41001"
out=$($KNAT -n "$RTR" -j forward show)
grep -q '"ports":2' <<< "$out" || fail "forward show -j: $out"
# The reply came from the forward's address: the client connected to it.

step "a forward survives mapping flush; refusals"
$KNAT -n "$RTR" mapping flush
ask "$SRV" udp 203.0.113.250 5353 41002 >/dev/null || fail "forward flushed"
rc=0
out=$($KNAT -n "$RTR" forward add tcp 203.0.113.250:8081 to 10.0.1.3:80 2>&1) || rc=$?
expect_eq "overlapping forward exit" "$rc" 1
echo "   $out"

step "forward del"
$KNAT -n "$RTR" forward del tcp 203.0.113.250:8080
expect_fail ask "$SRV" tcp 203.0.113.250 8080 41003 1
[ "$(stat "$RTR" drop_no_mapping)" -ge 1 ] || fail "not counted"

step "static 1:1: 203.0.113.200 is c2, both ways, every port"
$KNAT -n "$RTR" static add 203.0.113.200 10.0.1.3 2>/dev/null &&
	fail "1:1 address inside a pool must be refused" || true
$KNAT -n "$RTR" pool del pool1
$KNAT -n "$RTR" static add 203.0.113.200 10.0.1.3
$KNAT -n "$RTR" static show
serve "$C2" udp 9999
got=$(ask "$SRV" udp 203.0.113.200 9999 42000) || fail "1:1 inbound"
expect_eq "c2 saw" "$got" "198.51.100.2:42000"
serve "$SRV" udp 7000
got=$(ask "$C2" udp 198.51.100.2 7000 4321) || fail "1:1 outbound"
expect_eq "server saw c2 as" "$got" "203.0.113.200:4321"
in_ns "$C2" ping -c 1 -W 2 198.51.100.2 >/dev/null || fail "1:1 ping"

step "1:1 and untracked fragments: knat reassembles them, translates, sends fragments"
# notrack before defragmentation (-400): nf_defrag_ipv4 would leave
# these alone; knat reassembles them itself (a later fragment has no
# UDP header: rewriting "its checksum" would damage payload).
in_ns "$RTR" nft -f - <<-EOF
table ip nodefrag {
	chain pre { type filter hook prerouting priority -450; notrack; }
}
EOF
frags=$(stat "$RTR" drop_fragment)
# 3,008 bytes of UDP in 1,480-byte pieces: 3 fragments each way.
got=$(in_ns "$SRV" $PEER pingpong 203.0.113.200 9999 42002 2 3000)
expect_eq "c2 answered the big datagrams from" "$got" "2 198.51.100.2:42002"
got=$(in_ns "$C2" $PEER pingpong 198.51.100.2 7000 4322 2 3000)
expect_eq "the server answered the big datagrams from" "$got" "2 203.0.113.200:4322"
expect_eq "fragments dropped" "$(($(stat "$RTR" drop_fragment) - frags))" 0
in_ns "$RTR" nft delete table ip nodefrag
$KNAT -n "$RTR" static del 203.0.113.200
expect_fail ask "$SRV" udp 203.0.113.200 9999 42001 1
