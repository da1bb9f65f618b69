#!/bin/bash
# Path MTU discovery through knat (RFC 1191, RFC 5508 REQ-3): the
# server's last link is 1280 bytes; r2 says so in a fragmentation-needed
# error, knat translates it in, and c1 learns 1280 from r2 itself.
. "$(dirname "$0")/_lib.sh"
need tracepath
topo_icmp
ip -n "$R2" link set up0 mtu 1280
ip -n "$SRV" link set eth0 mtu 1280
# NAT_SETUP: another NAT's setup instead (nftables on the host, to see a
# peer's behaviour).
tp() { # tp SETUP: tracepath c1 -> srv learns 1280 from r2 under SETUP
	local out said
	in_ns "$C1" ip route flush cache
	in_ns "$RTR" ip route flush cache
	out=$(in_ns "$C1" tracepath -n -m 6 192.0.2.2) || fail "tracepath: exit $?"
	sed 's/^/   /' <<< "$out"
	# The hop that says "pmtu" is the one whose error told it.
	said=$(awk '/pmtu/ && !/LOCALHOST|Resume/ { print $2 " " $NF }' <<< "$out")
	expect_eq "who told c1 the path MTU, and what ($1)" "$said" "198.51.100.2 1280"
	grep -q "Resume: pmtu 1280 " <<< "$out" || fail "c1 did not settle on 1280"
	grep -q "reached" <<< "$out" || fail "tracepath did not reach srv"
}

step "tracepath c1 -> srv, a routed pool"
${NAT_SETUP:-$KNAT -n "$RTR" pool add 203.0.113.1 out out0}
tp "a routed pool"
[ -n "${NAT_SETUP:-}" ] && exit 0

step "tracepath c1 -> srv, masquerade"
$KNAT -n "$RTR" pool del pool1
$KNAT -n "$RTR" masquerade add out out0
tp masquerade
