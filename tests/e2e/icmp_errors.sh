#!/bin/bash
# ICMP errors through knat, checked on the wire. A port unreachable
# reaches the client quoting the client's own packet; path MTU discovery
# works both ways (frag-needed from a router beyond, and from the knat
# router's own kernel after it translated the packet); unmapped inbound
# packets get 3/13 when asked for; a flood of expiring packets gets time
# exceeded at no more than icmp-rate, the rest counted.
. "$(dirname "$0")/_lib.sh"
topo_icmp
$KNAT -n "$RTR" pool add 203.0.113.1 out out0
$KNAT -n "$RTR" forward add tcp 203.0.113.10:8080 to 10.0.1.2:8080
$KNAT -n "$RTR" forward add udp 203.0.113.10:53 to 10.0.1.2:53
CAP=/tmp/icmp-err.$$

step "a UDP packet to a closed port: c1 gets the error about its own packet"
capture "$C1" eth0 "$CAP.c1"
out=$(ask "$C1" udp 192.0.2.2 9999 5555 5 2>&1) && fail "answered: $out"
grep -q "Connection refused" <<< "$out" || fail "c1 saw: $out"
capture_stop
got=$($PCAP errors "$CAP.c1")
expect_eq "on c1" "$got" "3/3 192.0.2.2 > 10.0.1.2 quoting 10.0.1.2:5555 > 192.0.2.2:9999 udp"

step "path MTU, outbound: r2's link to srv carries 1280 bytes"
serve_sink "$SRV" 9000
ip -n "$R2" link set up0 mtu 1280
before=$(stat "$RTR" icmp_errors_in)
got=$(in_ns "$C1" $PEER push 192.0.2.2 9000 1000000 60) || fail "transfer failed"
expect_eq "bytes srv received from c1" "$got" 1000000
[ "$(stat "$RTR" icmp_errors_in)" -gt "$before" ] || fail "no frag-needed translated"
ip -n "$R2" link set up0 mtu 1500
# c1 learnt 1280 toward srv: it would advertise the smaller MSS next.
ip -n "$C1" route flush cache

step "path MTU, inbound through the forward: the router's own in0 carries 1280"
serve_sink "$C1" 8080
ip -n "$RTR" link set in0 mtu 1280
capture "$RTR" out0 "$CAP.pmtu"
got=$(in_ns "$SRV" $PEER push 203.0.113.10 8080 1000000 60) || fail "transfer failed"
expect_eq "bytes c1 received from srv" "$got" 1000000
capture_stop
ip -n "$RTR" link set in0 mtu 1500
errs=$($PCAP errors "$CAP.pmtu")
sort <<< "$errs" | uniq -c | sed 's/^/   /'
grep -q "^3/4 198.51.100.1 > 192.0.2.2 quoting 192.0.2.2:[0-9]* > 203.0.113.10:8080 tcp" <<< "$errs" ||
	fail "the router's frag-needed does not quote the packet as srv sent it"
# 1 MB in packets of at most 64 KB, whatever merged them.
$PCAP clean --min 16 "$CAP.pmtu" 10.0.0.0/8

step "unmapped inbound: dropped, or 3/13 when configured"
out=$(ask "$SRV" udp 203.0.113.1 7777 4000 2 2>&1) && fail "answered: $out"
grep -q "timed out" <<< "$out" || fail "without unreach-no-mapping: $out"
$KNAT -n "$RTR" config set unreach-no-mapping 1
out=$(ask "$SRV" udp 203.0.113.1 7777 4001 5 2>&1) && fail "answered: $out"
grep -q "No route to host" <<< "$out" || fail "with unreach-no-mapping: $out"
echo "   $out"
$KNAT -n "$RTR" config set unreach-no-mapping 0

step "a flood of TTL=2 packets to the forward: time exceeded at icmp-rate"
$KNAT -n "$RTR" config set icmp-rate 20 icmp-burst 5
sent0=$(stat "$RTR" icmp_sent) supp0=$(stat "$RTR" icmp_suppressed)
exp0=$(stat "$RTR" drop_ttl_expired)
capture "$RTR" out0 "$CAP.flood"
secs=$(in_ns "$SRV" $PEER flood 192.0.2.2 203.0.113.10 53 20000 300 2)
capture_stop
sent=$(($(stat "$RTR" icmp_sent) - sent0))
supp=$(($(stat "$RTR" icmp_suppressed) - supp0))
expired=$(($(stat "$RTR" drop_ttl_expired) - exp0))
errs=$($PCAP errors "$CAP.flood")
wire=$(grep -c "^11/0 198.51.100.1 " <<< "$errs" || true)
echo "   300 packets in $secs s: $sent time exceeded sent, $supp suppressed, $wire on the wire"
expect_eq "expired" "$expired" 300
expect_eq "sent + suppressed" "$((sent + supp))" 300
expect_eq "on the wire" "$wire" "$sent"
/usr/bin/python3 -S -c "import sys; s, t = int(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if s <= 5 + 20 * t + 1 else 1)" "$sent" "$secs" ||
	fail "$sent sent in $secs s is over 20/s + 5"
