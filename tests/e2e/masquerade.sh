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

# masq_shows WHAT: masquerade show says WHAT within 10 s (the kernel
# follows an address change from a work item, not under RTNL).
masq_shows() {
	local out
	for _ in $(seq 100); do
		out=$($KNAT -n "$RTR" masquerade show)
		grep -qF "$1" <<< "$out" && return 0
		sleep 0.1
	done
	fail "masquerade show does not say '$1': $out"
}

step "masquerade follows a new address on out0"
$KNAT -n "$RTR" masquerade add out out0
ask "$C1" udp 198.51.100.2 7000 5000 >/dev/null || fail "before the change"
ip -n "$RTR" addr del 198.51.100.1/24 dev out0
ip -n "$RTR" addr add 198.51.100.9/24 dev out0
ip -n "$SRV" route replace 203.0.113.0/24 via 198.51.100.9
masq_shows ": 198.51.100.9 "
out=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "no reply after the change"
expect_eq "c1 now leaves as" "${out%:*}" 198.51.100.9

step "an address gone with no replacement is not used"
ip -n "$RTR" addr del 198.51.100.9/24 dev out0
ip -n "$RTR" route add 198.51.100.0/24 dev out0
masq_shows "(no address)"
full=$(stat "$RTR" drop_pool_full)
expect_fail ask "$C1" udp 198.51.100.2 7000 5001 1
expect_eq "mappings on out0 with no address" "$($KNAT -n "$RTR" mapping show)" ""
expect_eq "refused as pool full" "$(($(stat "$RTR" drop_pool_full) - full))" 1
ip -n "$RTR" route del 198.51.100.0/24 dev out0
ip -n "$RTR" addr add 198.51.100.9/24 dev out0
masq_shows ": 198.51.100.9 "
out=$(ask "$C1" udp 198.51.100.2 7000 5002) || fail "no reply once the address is back"
expect_eq "c1 leaves again as" "${out%:*}" 198.51.100.9

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

step "no room beside net.ipv4.ip_local_port_range: masquerade refused"
$KNAT -n "$RTR" masquerade del out out0
# A common tuning: the router's sockets take every port from 1024 up.
in_ns "$RTR" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
rc=0
out=$($KNAT -n "$RTR" masquerade add out out0 2>&1) || rc=$?
echo "   $out"
expect_eq "masquerade add exit" "$rc" 1
grep -q "ip_local_port_range" <<< "$out" || fail "refusal does not name the cause: $out"
expect_eq "masquerade pools after the refusal" "$($KNAT -n "$RTR" masquerade show)" ""
in_ns "$RTR" sysctl -qw net.ipv4.ip_local_port_range="2048 65535"
$KNAT -n "$RTR" masquerade add out out0
out=$($KNAT -n "$RTR" masquerade show)
grep -q "ports 1024-2047 " <<< "$out" || fail "the room below the range not taken: $out"
