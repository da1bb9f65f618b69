#!/bin/bash
# GRE through knat (issue 17): a GRE tunnel from an inside host to the
# outside server carries pings, the server seeing the pool's address as
# the tunnel's far end; two inside hosts with tunnels to two servers at
# once. GRE has no ports: its mapping is (GRE, inside address, remote)
# <-> (GRE, outside address, remote). Nothing inside on the outside link.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.1 from 10.0.1.0/24 block 64
# A second server address: c2's tunnel ends there.
ip -n "$SRV" addr add 198.51.100.3/24 dev eth0
cap=/tmp/proto_gre.$$.pcap

# tunnel NS NAME LOCAL REMOTE INNER/30 PEER-INNER
tunnel() {
	ip -n "$1" -batch - <<-EOF2
	tunnel add $2 mode gre local $3 remote $4 ttl 64
	addr add $5 dev $2
	link set $2 up
	EOF2
}
tunnel "$C1" gre1 10.0.1.2 198.51.100.2 172.16.1.1/30
tunnel "$C2" gre1 10.0.1.3 198.51.100.3 172.16.2.1/30
# The server knows its peers by their outside address: the pool's.
tunnel "$SRV" gre1 198.51.100.2 203.0.113.1 172.16.1.2/30
tunnel "$SRV" gre2 198.51.100.3 203.0.113.1 172.16.2.2/30

step "c1 and c2 ping through their tunnels at once"
capture "$SRV" eth0 "$cap"
in_ns "$C1" ping -c 5 -i 0.2 -W 2 172.16.1.2 > /tmp/gre1.$$ &
p1=$!
in_ns "$C2" ping -c 5 -i 0.2 -W 2 172.16.2.2 > /tmp/gre2.$$ &
p2=$!
wait "$p1" || fail "c1's pings through GRE: $(cat /tmp/gre1.$$)"
wait "$p2" || fail "c2's pings through GRE: $(cat /tmp/gre2.$$)"
capture_stop
grep -h "packets transmitted" /tmp/gre1.$$ /tmp/gre2.$$
rm -f /tmp/gre1.$$ /tmp/gre2.$$
n=$(tcpdump -r "$cap" -n "proto gre and src 203.0.113.1" 2>/dev/null | wc -l)
[ "$n" -ge 10 ] || fail "GRE from the pool's address: $n packets, want 10 or more"
$PCAP clean --min 20 "$cap" 10.0.1.0/24
rm -f "$cap" "$cap.log"
m=$($KNAT -n "$RTR" mapping show) || fail "mapping show failed"
echo "$m"
[ "$(grep -c "^gre " <<< "$m")" = 2 ] || fail "want two GRE mappings"

step "a third inside host's tunnel to c1's server is refused, counted, not mixed up"
# (GRE, 203.0.113.1, 198.51.100.2) is c1's: c2 cannot have it too.
refused=$(stat "$RTR" drop_addr_taken)
ip -n "$C2" tunnel add gre9 mode gre local 10.0.1.3 remote 198.51.100.2 ttl 64
ip -n "$C2" addr add 172.16.9.1/30 dev gre9
ip -n "$C2" link set gre9 up
in_ns "$C2" ping -c 2 -i 0.2 -W 1 172.16.9.2 > /dev/null && fail "c2 got through c1's GRE mapping"
[ "$(($(stat "$RTR" drop_addr_taken) - refused))" -ge 2 ] || fail "c2's GRE not counted as refused"
in_ns "$C1" ping -c 2 -i 0.2 -W 2 172.16.1.2 > /dev/null || fail "c1's tunnel after c2's attempt"
