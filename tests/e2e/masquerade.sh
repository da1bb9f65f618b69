#!/bin/bash
# Masquerade on the router's own out0 address: clients get out, the
# pool keeps clear of the router's ephemeral ports, and the router's own
# traffic and services on that address are left alone.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" masquerade add out out0
serve "$SRV" udp 7000 tcp 8000

step "clients leave as 198.51.100.1, on ports below the ephemeral range"
$KNAT -n "$RTR" masquerade show
read -r lo hi < <(in_ns "$RTR" sysctl -n net.ipv4.ip_local_port_range)
for c in "$C1" "$C2"; do
	out=$(ask "$c" udp 198.51.100.2 7000 5000) || fail "$c: no UDP reply"
	[ "${out%:*}" = 198.51.100.1 ] || fail "$c seen as $out"
	port=${out#*:}
	[ "$port" -lt "$lo" ] || [ "$port" -gt "$hi" ] ||
		fail "port $port inside ip_local_port_range $lo-$hi"
	echo "   $c -> $out"
	ask "$c" tcp 198.51.100.2 8000 5000 >/dev/null || fail "$c: TCP"
done

step "the router's own connection and services on the pool address"
got=$(ask "$RTR" udp 198.51.100.2 7000 40000) || fail "router's own UDP"
expect_eq "server saw the router as" "$got" "198.51.100.1:40000"
serve "$RTR" tcp 2222
got=$(ask "$SRV" tcp 198.51.100.1 2222 0) || fail "router service unreachable"
[[ $got == 198.51.100.2:* ]] || fail "router service saw $got"
in_ns "$SRV" ping -c 1 -W 2 198.51.100.1 >/dev/null || fail "router not pingable"
expect_eq "drop_no_mapping" "$(stat "$RTR" drop_no_mapping)" 0

step "masquerade del"
$KNAT -n "$RTR" masquerade del out out0
out=$($KNAT -n "$RTR" masquerade show) || fail "masquerade show failed (exit $?)"
[ -z "$out" ] || fail "still shown: $out"

step "masquerade follows a new address on out0"
$KNAT -n "$RTR" masquerade add out out0
ask "$C1" udp 198.51.100.2 7000 5000 >/dev/null || fail "before the change"
ip -n "$RTR" addr del 198.51.100.1/24 dev out0
ip -n "$RTR" addr add 198.51.100.9/24 dev out0
ip -n "$SRV" route replace 203.0.113.0/24 via 198.51.100.9
out=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "no reply after the change"
expect_eq "c1 now leaves as" "${out%:*}" 198.51.100.9
out=$($KNAT -n "$RTR" masquerade show)
grep -q 198.51.100.9 <<< "$out" || fail "show: old address: $out"

step "ports where the router's own services listen are never handed out"
$KNAT -n "$RTR" masquerade del out out0
# One block of 64 ports, and the router listens on 8 of them.
$KNAT -n "$RTR" masquerade add out out0 ports 2000-2063 block 64
$KNAT -n "$RTR" config set max-blocks-per-subscriber 1
serve "$RTR" tcp "$(seq -s, 2000 8 2063)"
n=$(in_ns "$C1" $PEER burst tcp 198.51.100.2 8000 30000 60)
expect_eq "TCP connections through the 56 free ports" "$n" 56
ports=$($KNAT -n "$RTR" mapping show proto tcp | awk '{ split($4, a, ":"); print a[2] }')
for p in $(seq 2000 8 2063); do
	if grep -qx "$p" <<< "$ports"; then
		fail "port $p of a router service handed out"
	fi
done
n=$(in_ns "$C1" $PEER burst udp 198.51.100.2 7000 30000 64)
expect_eq "UDP flows (TCP listeners take no UDP port)" "$n" 64
