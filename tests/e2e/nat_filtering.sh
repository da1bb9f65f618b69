#!/bin/bash
# Filtering of inbound packets to a mapping (RFC 4787 section 5):
# address-dependent by default, then address-and-port-dependent, then
# endpoint-independent. Refused packets are counted, never delivered.
. "$(dirname "$0")/_lib.sh"
topo_nat
ip -n "$SRV" addr add 198.51.100.3/24 dev eth0
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0
serve "$SRV" udp 7000

step "c1 talks to 198.51.100.2:7000 from port 5000"
out=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "no reply"
oaddr=${out%:*} oport=${out#*:}
echo "   c1 is $out outside"
# Replies show whom c1 saw: inbound packets that got through.
serve "$C1" udp 5000

step "adf (default): same address, other port passes; other address does not"
got=$(ask "$SRV" udp "$oaddr" "$oport" 198.51.100.2:7001) ||
	fail "adf refused the address c1 talked to"
expect_eq "c1 saw" "$got" "198.51.100.2:7001"
expect_fail ask "$SRV" udp "$oaddr" "$oport" 198.51.100.3:7000 1
[ "$(stat "$RTR" drop_filtered)" -ge 1 ] || fail "drop_filtered not counted"

step "apdf: only the exact address and port c1 talked to"
# c1's answer to 198.51.100.2:7001 above made that peer one it talked to.
$KNAT -n "$RTR" config set filtering apdf
out=$($KNAT -n "$RTR" config show)
grep -qx 'filtering apdf' <<< "$out" || fail "config show: $out"
before=$(stat "$RTR" drop_filtered)
expect_fail ask "$SRV" udp "$oaddr" "$oport" 198.51.100.2:7004 1
[ "$(stat "$RTR" drop_filtered)" -gt "$before" ] || fail "apdf: not counted"
got=$(ask "$SRV" udp "$oaddr" "$oport" 198.51.100.2:7001) ||
	fail "apdf refused an address and port c1 talked to"
expect_eq "c1 saw" "$got" "198.51.100.2:7001"

step "eif: anyone may reach the mapping"
$KNAT -n "$RTR" config set filtering eif
got=$(ask "$SRV" udp "$oaddr" "$oport" 198.51.100.3:7000) || fail "eif refused"
expect_eq "c1 saw" "$got" "198.51.100.3:7000"
