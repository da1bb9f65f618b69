#!/bin/bash
# One inside server reached two ways: through a port forward
# (203.0.113.10:8080 -> 10.0.1.3:80) and through its 1:1 address
# (203.0.113.20 <-> 10.0.1.3). Every reply leaves from the address and
# port its connection came in on, TCP and UDP, both ways at once.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" forward add tcp 203.0.113.10:8080 to 10.0.1.3:80
$KNAT -n "$RTR" forward add udp 203.0.113.10:5353 to 10.0.1.3:53
$KNAT -n "$RTR" static add 203.0.113.20 10.0.1.3
serve "$C2" tcp 80 udp 53

step "through the 1:1 address"
got=$(ask "$SRV" tcp 203.0.113.20 80 41000) || fail "tcp to 203.0.113.20:80"
expect_eq "c2 saw (tcp)" "$got" "198.51.100.2:41000"
got=$(ask "$SRV" udp 203.0.113.20 53 41001) || fail "udp to 203.0.113.20:53"
expect_eq "c2 saw (udp)" "$got" "198.51.100.2:41001"

step "through the forward"
got=$(ask "$SRV" tcp 203.0.113.10 8080 41002) || fail "tcp to 203.0.113.10:8080"
expect_eq "c2 saw (tcp)" "$got" "198.51.100.2:41002"
got=$(ask "$SRV" udp 203.0.113.10 5353 41003) || fail "udp to 203.0.113.10:5353"
expect_eq "c2 saw (udp)" "$got" "198.51.100.2:41003"

step "c2's own datagrams from a forwarded port leave by its 1:1 address"
serve "$SRV" udp 7000
got=$(ask "$C2" udp 198.51.100.2 7000 53) || fail "udp from c2:53"
expect_eq "srv saw c2:53 as" "$got" "203.0.113.20:53"

step "c1 (a pool's host) reaches c2 both ways by its outside addresses"
$KNAT -n "$RTR" pool add 203.0.113.128/25 out out0
for to in "203.0.113.10 8080 5000" "203.0.113.20 80 5001"; do
	# shellcheck disable=SC2086  # address, port, c1's port
	got=$(ask "$C1" tcp $to) || fail "c1 -> $to: no reply"
	m=$($KNAT -n "$RTR" mapping show inside 10.0.1.2) || fail "mapping show failed"
	want=$(awk -v k="10.0.1.2:${to##* }" '$1 == "tcp" && $2 == k { print $4 }' <<< "$m")
	expect_eq "c2 saw c1 (to ${to% *}) as" "$got" "$want"
done
