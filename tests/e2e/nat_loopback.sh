#!/bin/bash
# NAT loopback (hairpinning) for port forwards and 1:1 entries (RFC 4787
# REQ-9, RFC 5382 REQ-8, RFC 5508 REQ-7): c1, an inside host of the pool,
# reaches c2's services by their outside addresses, and c2 sees c1's
# outside endpoint (its mapping's), never its inside address, so that its
# replies come back through the router and are translated on the way.
# Filtering is the default (ADF): hairpinned errors pass it too. A
# masquerade pool (the router's own address as the view) works as well.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.0/25 out out0
serve "$C2" tcp 80 udp 53
CAP=/tmp/loopback.$$

# outside_of PROTO PORT: c1's outside endpoint for its PORT, from its mapping.
outside_of() {
	local m
	m=$($KNAT -n "$RTR" mapping show inside 10.0.1.2) || fail "mapping show failed"
	awk -v k="10.0.1.2:$2" -v p="$1" '$1 == p && $2 == k { print $4 }' <<< "$m"
}

step "c1 -> a forward's outside address (tcp 203.0.113.250:8080, udp :5353)"
$KNAT -n "$RTR" forward add tcp 203.0.113.250:8080 to 10.0.1.3:80
$KNAT -n "$RTR" forward add udp 203.0.113.250:5353 to 10.0.1.3:53
# Forged from outside with inside sources: forwarded, never hairpinned
# (no mapping, no subscriber for them).
n=$(stat "$RTR" mappings)
in_ns "$SRV" $PEER spoof 10.0.1.50 20 203.0.113.250 5353 >/dev/null
sleep 1
expect_eq "mappings after 20 forged datagrams (the forwards' 2)" "$(stat "$RTR" mappings)" "$n"
expect_eq "subscribers after them" "$(lines $KNAT -n "$RTR" subscriber show)" 0
got=$(ask "$C1" tcp 203.0.113.250 8080 5000) || fail "tcp loopback to the forward"
expect_eq "c2 saw c1 (tcp) as" "$got" "$(outside_of tcp 5000)"
got=$(ask "$C1" udp 203.0.113.250 5353 5001) || fail "udp loopback to the forward"
expect_eq "c2 saw c1 (udp) as" "$got" "$(outside_of udp 5001)"
case $got in 203.0.113.*) ;; *) fail "c1's outside view is not a pool address: $got" ;; esac
$KNAT -n "$RTR" forward del tcp 203.0.113.250:8080
$KNAT -n "$RTR" forward del udp 203.0.113.250:5353

step "c1 -> a 1:1 address (203.0.113.200 is c2): tcp, udp, ping"
$KNAT -n "$RTR" static add 203.0.113.200 10.0.1.3
got=$(ask "$C1" tcp 203.0.113.200 80 5002) || fail "tcp loopback to the 1:1 address"
expect_eq "c2 saw c1 (tcp) as" "$got" "$(outside_of tcp 5002)"
got=$(ask "$C1" udp 203.0.113.200 53 5003) || fail "udp loopback to the 1:1 address"
expect_eq "c2 saw c1 (udp) as" "$got" "$(outside_of udp 5003)"
# c2's port unreachable about c1's datagram reaches c1, through ADF.
out=$(ask "$C1" udp 203.0.113.200 54 5004 5 2>&1) && fail "answered: $out"
grep -q "Connection refused" <<< "$out" || fail "c1 saw: $out"
echo "   c1: $out"
capture "$RTR" c2p "$CAP"
in_ns "$C1" ping -c 2 -W 3 203.0.113.200 >/dev/null || fail "ping 203.0.113.200: no reply"
capture_stop
echo=$($PCAP echo "$CAP")
sed 's/^/   /' <<< "$echo"
grep -q "^request 203\.0\.113\.[0-9]* > 10\.0\.1\.3 " <<< "$echo" ||
	fail "c2 did not see c1's echo request from c1's outside address"
grep -q "^reply 10\.0\.1\.3 > 203\.0\.113\.[0-9]* " <<< "$echo" ||
	fail "c2 did not answer c1's outside address"
grep -q "10\.0\.1\.2" <<< "$echo" && fail "c1's inside address reached c2"
[ "$(stat "$RTR" hairpinned)" -ge 6 ] || fail "hairpinned: $(stat "$RTR" hairpinned), want 6 at least"
rm -f "$CAP" "$CAP.log"

step "c2, a 1:1 host, -> a forward to c1's closed port: the error reaches c2"
$KNAT -n "$RTR" forward add udp 203.0.113.250:5354 to 10.0.1.2:54
out=$(ask "$C2" udp 203.0.113.250 5354 6000 5 2>&1) && fail "answered: $out"
grep -q "Connection refused" <<< "$out" || fail "c2 saw: $out"
echo "   c2: $out"
$KNAT -n "$RTR" forward del udp 203.0.113.250:5354
$KNAT -n "$RTR" static del 203.0.113.200

step "masquerade: c1 -> a forward on the router's own address (198.51.100.1:8080)"
# The view is then a local address of the router: routed as c1's, not
# taken by the kernel for a martian source.
$KNAT -n "$RTR" pool del pool1
$KNAT -n "$RTR" masquerade add out out0
$KNAT -n "$RTR" forward add tcp 198.51.100.1:8080 to 10.0.1.3:80
got=$(ask "$C1" tcp 198.51.100.1 8080 5005) || fail "tcp loopback under masquerade"
expect_eq "c2 saw c1 as" "$got" "$(outside_of tcp 5005)"
case $got in 198.51.100.1:*) ;; *) fail "c1's view is not the router's address: $got" ;; esac
# An error about a hairpinned datagram, its source the router's address.
$KNAT -n "$RTR" forward add udp 198.51.100.1:5353 to 10.0.1.3:54
out=$(ask "$C1" udp 198.51.100.1 5353 5006 5 2>&1) && fail "answered: $out"
grep -q "Connection refused" <<< "$out" || fail "c1 saw: $out"
echo "   c1: $out"
