#!/bin/bash
# Two uplinks, two pools, one inside endpoint (issue 17): c1's one UDP
# socket (and one TCP port) talks to a server behind each uplink; every
# packet leaves translated by the pool of the interface it leaves by, a
# mapping per uplink, and captures on both links hold no inside address.
. "$(dirname "$0")/_lib.sh"
topo_nat
SRV2=srv2-$SFX
netns_new "$SRV2"
ip link add out1 netns "$RTR" type veth peer name eth0 netns "$SRV2"
ip -n "$RTR" -batch - <<-EOF2
link set out1 up
addr add 192.0.2.1/24 dev out1
EOF2
ip -n "$SRV2" -batch - <<-EOF2
link set lo up
link set eth0 up
addr add 192.0.2.2/24 dev eth0
route add 203.0.113.0/24 via 192.0.2.1
EOF2
need ethtool
tx_off "$C1" "$SRV" "$SRV2"
$KNAT -n "$RTR" pool add 203.0.113.1 from 10.0.1.0/24 out out0 block 64
$KNAT -n "$RTR" pool add 203.0.113.129 from 10.0.1.0/24 out out1 block 64
serve "$SRV" udp 7000 tcp 8000
serve "$SRV2" udp 7000 tcp 8000
cap1=/tmp/multi_uplink1.$$.pcap cap2=/tmp/multi_uplink2.$$.pcap
capture "$SRV" eth0 "$cap1" "$SRV2" eth0 "$cap2"

step "c1:5000 to a server behind each uplink, and back to the first"
o1=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "no UDP answer by out0"
o2=$(ask "$C1" udp 192.0.2.2 7000 5000) || fail "no UDP answer by out1"
o3=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "no UDP answer by out0, again"
echo "   out0 saw $o1 and $o3, out1 saw $o2"
expect_eq "by out0, from" "${o1%:*}" 203.0.113.1
expect_eq "by out1, from" "${o2%:*}" 203.0.113.129
expect_eq "by out0 again, the same mapping" "$o3" "$o1"

step "TCP too, one inside port to both"
t1=$(ask "$C1" tcp 198.51.100.2 8000 5001) || fail "no TCP answer by out0"
t2=$(ask "$C1" tcp 192.0.2.2 8000 5001) || fail "no TCP answer by out1"
expect_eq "TCP by out0, from" "${t1%:*}" 203.0.113.1
expect_eq "TCP by out1, from" "${t2%:*}" 203.0.113.129
capture_stop
$PCAP clean --min 6 "$cap1" 10.0.1.0/24
$PCAP clean --min 4 "$cap2" 10.0.1.0/24
rm -f "$cap1" "$cap1.log" "$cap2" "$cap2.log"

step "an ICMP error about a hairpinned packet, under two uplinks"
# c2's mapping (out0's slot) is c1's hairpin destination; c2 no longer
# listens, so it answers port unreachable, which must reach c1 about the
# endpoint c1 sent to: its connected socket is refused, not left waiting.
$KNAT -n "$RTR" config set filtering eif
v=$(ask "$C2" udp 198.51.100.2 7000 6000) || fail "c2: no UDP answer by out0"
err=$(ask "$C1" udp "${v%:*}" "${v#*:}" 5003 2>&1) && fail "c1 got an answer from c2's closed port: $err"
echo "   c1 to $v: $err"
grep -q "Connection refused" <<< "$err" || fail "the port unreachable did not reach c1 translated: $err"
$KNAT -n "$RTR" config set filtering adf

step "hairpin to a forward on the first uplink's address: its own port answers"
# c2's reply is hairpinned back to c1's view in pool out0: c2's mapping
# there is the forward (of no uplink), not a new one of out0's.
$KNAT -n "$RTR" forward add tcp 203.0.113.1:8080 to 10.0.1.3:8000
serve "$C2" tcp 8000
h=$(ask "$C1" tcp 203.0.113.1 8080 5002) || fail "c1 to the forward: no answer"
expect_eq "c2 saw c1 as" "${h%:*}" 203.0.113.1
f=$($KNAT -n "$RTR" mapping show inside 10.0.1.3) || fail "mapping show failed"
echo "$f"
expect_eq "mappings of c2's 10.0.1.3:8000 (the forward only)" \
	"$(grep -c "10.0.1.3:8000 " <<< "$f")" 1

step "a mapping per uplink, none dropped as another uplink's"
m=$($KNAT -n "$RTR" mapping show inside 10.0.1.2) || fail "mapping show failed"
echo "$m"
expect_eq "mappings of 10.0.1.2:5000" "$(grep -c "10.0.1.2:5000 " <<< "$m")" 2
expect_eq "drop_other_uplink" "$(stat "$RTR" drop_other_uplink)" 0
