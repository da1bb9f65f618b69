#!/bin/bash
# Packets forged from outside with inside sources make no state. A pool
# with `from PREFIX` and no `out` once took any packet from such a source
# for an inside host hairpinning, whatever interface it came in on, and
# made it a subscriber, a block and a mapping before filtering it: 250
# forged packets exhausted a one-address pool. Inside is where the route
# back to the source goes (the ingress interface must be it).
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.1 from 10.0.1.0/24 block 64
serve "$SRV" udp 7000

step "c1 gets a mapping; srv forges 400 datagrams from 10.0.1.50-149 to it"
o1=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "c1: no reply"
echo "   c1 is $o1 outside"
filtered=$(stat "$RTR" drop_filtered)
hairpinned=$(stat "$RTR" hairpinned)
for _ in 1 2 3 4; do
	in_ns "$SRV" $PEER spoof 10.0.1.50 100 "${o1%:*}" "${o1#*:}" > /dev/null
done
# A header line, then one line a subscriber.
expect_eq "subscriber lines (c1 alone)" "$(lines $KNAT -n "$RTR" subscriber show)" 2
expect_eq "mappings (c1's alone)" "$(lines $KNAT -n "$RTR" mapping show)" 1
expect_eq "forged datagrams filtered" "$(($(stat "$RTR" drop_filtered) - filtered))" 400
expect_eq "hairpinned" "$(stat "$RTR" hairpinned)" "$hairpinned"

step "hairpinning from inside still works: c2 reaches c1's outside endpoint"
$KNAT -n "$RTR" config set filtering eif
serve "$C1" udp 5000
got=$(ask "$C2" udp "${o1%:*}" "${o1#*:}" 6000) || fail "hairpin: no reply"
[ "${got%:*}" = 203.0.113.1 ] || fail "c1 saw c2 as $got, not an outside endpoint"
# c2's datagram and c1's answer.
expect_eq "hairpinned" "$(($(stat "$RTR" hairpinned) - hairpinned))" 2

step "with filtering eif, forged datagrams are outside peers: translated to c1, no state"
xlated=$(stat "$RTR" in_translated)
in_ns "$SRV" $PEER spoof 10.0.1.50 100 "${o1%:*}" "${o1#*:}" > /dev/null
expect_eq "forged datagrams translated to c1" "$(($(stat "$RTR" in_translated) - xlated))" 100
expect_eq "subscriber lines (c1, c2)" "$(lines $KNAT -n "$RTR" subscriber show)" 3
expect_eq "hairpinned after the forgeries" "$(($(stat "$RTR" hairpinned) - hairpinned))" 2

step "srv forges sources it routes back out: they leave untranslated nowhere"
# Forwarded back out of out0 with an inside source: a new flow from where
# its source is not, dropped and counted before any state.
ip -n "$RTR" route add 192.0.2.0/24 via 198.51.100.2
ip -n "$SRV" route add 192.0.2.0/24 via 198.51.100.1
spoofed=$(stat "$RTR" drop_spoofed)
in_ns "$SRV" $PEER spoof 10.0.1.150 50 192.0.2.1 9 > /dev/null
expect_eq "forged flows dropped as spoofed" "$(($(stat "$RTR" drop_spoofed) - spoofed))" 50
expect_eq "subscriber lines after" "$(lines $KNAT -n "$RTR" subscriber show)" 3

step "srv forges c1's own endpoint (10.0.1.2:5000) to 192.0.2.1: no translation, no peer"
# It finds c1's live mapping: translated, it would tell the forger c1's
# outside port and make 192.0.2.1 a peer that ADF lets in.
$KNAT -n "$RTR" config set filtering adf
# c1 sends first: its subscriber's note is then fresh (the route added
# above made it stale, and the forgery would fail on that alone).
ask "$C1" udp 198.51.100.2 7000 5000 >/dev/null || fail "c1: no reply"
m=$($KNAT -n "$RTR" mapping show inside 10.0.1.2) || fail "mapping show failed"
grep -qE "^udp +10\.0\.1\.2:5000 " <<< "$m" || fail "c1's mapping is gone: the step would prove nothing"
cap=/tmp/forged_inside.$$.pcap
capture "$SRV" eth0 "$cap"
spoofed=$(stat "$RTR" drop_spoofed)
in_ns "$SRV" $PEER spoof 10.0.1.2 1 192.0.2.1 9 5000 > /dev/null
capture_stop
# The capture holds srv's own forgery too: no other from 10.0.1.2.
n=$(tcpdump -r "$cap" -n "udp and dst 192.0.2.1 and src 10.0.1.2" 2>/dev/null | wc -l)
expect_eq "datagrams from 10.0.1.2 to 192.0.2.1 (srv's own)" "$n" 1
n=$(tcpdump -r "$cap" -n "udp and dst 192.0.2.1 and not src 10.0.1.2" 2>/dev/null | wc -l)
rm -f "$cap" "$cap.log"
expect_eq "forged datagrams the router translated" "$n" 0
expect_eq "dropped as spoofed" "$(($(stat "$RTR" drop_spoofed) - spoofed))" 1
step "srv forges a new flow of c1 (10.0.1.2:5999): no mapping, though c1's subscriber is known"
# A new mapping of a host whose subscriber saw it come in by br-in skips
# the reverse-path lookup only for a packet that came in by br-in too.
# c1's own new flow first: the note is then fresh (the route added above
# made the old one stale, and a forgery would fail on that alone).
ask "$C1" udp 198.51.100.2 7000 5998 >/dev/null || fail "c1's new flow: no reply"
spoofed=$(stat "$RTR" drop_spoofed)
in_ns "$SRV" $PEER spoof 10.0.1.2 1 192.0.2.1 9 5999 > /dev/null
expect_eq "dropped as spoofed" "$(($(stat "$RTR" drop_spoofed) - spoofed))" 1
m=$($KNAT -n "$RTR" mapping show inside 10.0.1.2) || fail "mapping show failed"
grep -qE "10\.0\.1\.2:5998 " <<< "$m" || fail "no mapping for c1's own new flow: $m"
grep -qE "10\.0\.1\.2:5999 " <<< "$m" && fail "a mapping for the forged flow: $m"
filtered=$(stat "$RTR" drop_filtered)
in_ns "$SRV" $PEER spoof 192.0.2.1 1 "${o1%:*}" "${o1#*:}" 9 > /dev/null
expect_eq "192.0.2.1 to c1's outside port: filtered" "$(($(stat "$RTR" drop_filtered) - filtered))" 1

step "a route change voids c1's note: with its route moved off br-in, its own packets are dropped"
# c1's note (br-in, these routes) is fresh; a route that sends 10.0.1.2
# out of out0 makes it stale, and the full check finds c1 where it is not.
ask "$C1" udp 198.51.100.2 7000 5000 >/dev/null || fail "c1: no reply"
ip -n "$RTR" route add 10.0.1.2/32 via 198.51.100.2 dev out0
spoofed=$(stat "$RTR" drop_spoofed)
ask "$C1" udp 198.51.100.2 7000 5000 1 >/dev/null 2>&1 && fail "c1 answered while routed out of out0"
expect_eq "c1's packet dropped as spoofed" "$(($(stat "$RTR" drop_spoofed) - spoofed))" 1
ip -n "$RTR" route del 10.0.1.2/32 via 198.51.100.2 dev out0
ask "$C1" udp 198.51.100.2 7000 5000 >/dev/null || fail "c1: no reply once its route was back"
echo "   dropped while routed elsewhere, served again once its route was back"
