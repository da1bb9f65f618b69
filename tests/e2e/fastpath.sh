#!/bin/bash
# The fast path (fastpath.c, on by default): packets of established TCP
# and UDP mappings are translated at the router's ingress and sent by the
# route the normal path found for their flow. Every packet stays
# translated, with valid checksums; knat's counters, the mapping's timer
# and the kernel's forwarding counter stay exact; and what the fast path
# must not decide takes the normal path: a route changed to a blackhole,
# a lowered MTU, a conntrack firewall in forward (which must see every
# packet), fastpath 0.
. "$(dirname "$0")/_lib.sh"
need nft
need tcpdump
topo_nat
tx_off "$C1" "$SRV"
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0
serve "$SRV" udp 7000
serve_sink "$SRV" 8000
CAP=/tmp/fastpath.$$

# The router's IPv4 ForwDatagrams, of /proc/net/snmp.
forwarded() {
	in_ns "$RTR" awk '$1 == "Ip:" && $7 ~ /^[0-9]+$/ { print $7 }' /proc/net/snmp
}
# pingpong SPORT COUNT [SIZE]: c1's UDP flow to the server, its answers.
pingpong() {
	in_ns "$C1" $PEER pingpong 198.51.100.2 7000 "$1" "$2" "${3:-100}"
}
# fast_since N: packets the fast path sent since the counter read N.
fast_since() { echo $(($(stat "$RTR" fastpath) - $1)); }

step "fastpath is on by default"
out=$($KNAT -n "$RTR" -j config show)
grep -q '"fastpath":1' <<< "$out" || fail "config show: $out"

step "a UDP flow of 300 exchanges: translated at ingress, counted exactly"
f0=$(stat "$RTR" fastpath)
o0=$(stat "$RTR" out_translated)
i0=$(stat "$RTR" in_translated)
fw0=$(forwarded)
capture "$SRV" eth0 "$CAP.out" "$C1" eth0 "$CAP.in"
got=$(pingpong 5000 300)
capture_stop
[[ $got =~ ^300\ 203\.0\.113\.[0-9]+:[0-9]+$ ]] || fail "answers: $got"
fast=$(fast_since "$f0")
echo "   $got; $fast of 600 packets by the fast path"
expect_eq "out_translated" $(($(stat "$RTR" out_translated) - o0)) 300
expect_eq "in_translated" $(($(stat "$RTR" in_translated) - i0)) 300
expect_eq "the kernel's ForwDatagrams" $(($(forwarded) - fw0)) 600
# The first packet each way teaches the route; the rest go fast.
[ "$fast" -ge 590 ] || fail "only $fast of 600 packets took the fast path"
$PCAP clean --min 600 "$CAP.out" 10.0.1.0/24 || fail "inside address or bad checksum outside"
$PCAP clean --min 600 "$CAP.in" 203.0.113.0/24 || fail "outside view or bad checksum inside"

step "the fast path keeps the mapping's timer running"
pingpong 5001 5 >/dev/null
sleep 12
f0=$(stat "$RTR" fastpath)
got=$(pingpong 5001 20)
t_last=${EPOCHREALTIME/./}
map=$($KNAT -n "$RTR" -j mapping show)
t_read=${EPOCHREALTIME/./}
[ "$(fast_since "$f0")" -ge 40 ] || fail "the second round did not take the fast path"
left=$(grep -o '"inside_port":5001,[^}]*"expires_ms":[0-9]*' <<< "$map") ||
	fail "no mapping of port 5001: $map"
left=${left##*:}
since=$(((t_read - t_last) / 1000))
echo "   $got; expires in $left ms (timeout-udp 300 s), read $since ms after the last packet"
# Refreshed by the second round: 300 s less the time since (and the
# second the refresh may skip). From the first round alone, 12 s less.
[ "$left" -gt $((300000 - since - 2000)) ] ||
	fail "the fast path did not refresh the timer: $left ms left, $since ms after the last packet"

step "TCP: 4 MB intact, its segments by the fast path"
f0=$(stat "$RTR" fastpath)
got=$(in_ns "$C1" $PEER push 198.51.100.2 8000 4000000 60) || fail "push failed: $got"
expect_eq "bytes the sink counted" "$got" 4000000
fast=$(fast_since "$f0")
echo "   $fast packets by the fast path"
[ "$fast" -ge 2000 ] || fail "TCP took the fast path for only $fast packets"

step "routes changed to a blackhole: the normal path drops, both ways"
# through_blackhole WHAT [FAST]: no answer comes back (a stale route in
# the fast path would bring it), and FAST packets took the fast path.
# answered_again WHAT: unblocked, they are answered again.
through_blackhole() {
	local f0 got
	f0=$(stat "$RTR" fastpath)
	got=$(pingpong 5002 3)
	[[ $got == "3 lost"* ]] || fail "through a blackhole route $1: $got"
	[ -z "${2:-}" ] ||
		expect_eq "fast path packets through the blackhole $1" "$(fast_since "$f0")" "$2"
}
answered_again() {
	local got
	got=$(pingpong 5002 10)
	[[ $got =~ ^10\ 203\.0\.113\. ]] || fail "after the blackhole $1: $got"
}
pingpong 5002 5 >/dev/null
in_ns "$RTR" ip route add blackhole 198.51.100.2/32
through_blackhole "to the server" 0
in_ns "$RTR" ip route del blackhole 198.51.100.2/32
answered_again "to the server"
# Inbound by a rule for what comes in by out0: a plain route to c1 that
# is a blackhole would make c1's own packets spoofed (drop_spoofed).
# The requests still go (the fast path relearns their route), not the
# answers.
in_ns "$RTR" ip -batch - <<-EOF
rule add iif out0 lookup 100 pref 100
route add blackhole 10.0.1.2/32 table 100
EOF
through_blackhole "to c1"
in_ns "$RTR" ip rule del pref 100
answered_again "to c1"

step "the MTU of out0 lowered to 1000: big datagrams fragmented by the normal path"
in_ns "$RTR" ip link set out0 mtu 1000
pingpong 5003 5 1400 >/dev/null
capture "$SRV" eth0 "$CAP.mtu"
got=$(pingpong 5003 20 1400)
capture_stop
[[ $got =~ ^20\ 203\.0\.113\. ]] || fail "1400-byte datagrams over MTU 1000: $got"
big=$(tcpdump -r "$CAP.mtu" -n 'ip and greater 1015' 2>/dev/null | wc -l)
frags=$(tcpdump -r "$CAP.mtu" -n 'ip[6:2] & 0x3fff != 0' 2>/dev/null | wc -l)
echo "   $frags fragments, $big packets over 1000 bytes"
expect_eq "IP packets over out0's MTU" "$big" 0
[ "$frags" -ge 40 ] || fail "only $frags fragments: not fragmented"
in_ns "$RTR" ip link set out0 mtu 1500

step "a conntrack firewall in forward sees every packet: no fast path"
modprobe nf_conntrack || fail "modprobe nf_conntrack"
in_ns "$RTR" nft -f - <<'NFT' || fail "nft: the stateful firewall was refused"
table inet fw {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related counter accept
		iifname "br-in" ct state new accept
		counter drop
	}
}
NFT
f0=$(stat "$RTR" fastpath)
got=$(pingpong 5004 100)
[[ $got =~ ^100\ 203\.0\.113\. ]] || fail "through the firewall: $got"
expect_eq "fast path packets under the firewall" "$(fast_since "$f0")" 0
rules=$(in_ns "$RTR" nft list chain inet fw forward)
seen=$(sed -n 's/.*established,related counter packets \([0-9]*\).*/\1/p' <<< "$rules")
echo "   the firewall's established rule saw $seen packets"
[ "$seen" -ge 199 ] || fail "the firewall saw $seen of the 199 established packets: $rules"
in_ns "$RTR" grep -q 'src=10.0.1.2 dst=198.51.100.2 .*sport=5004' /proc/net/nf_conntrack ||
	fail "no conntrack entry of the flow"
in_ns "$RTR" nft delete table inet fw
f0=$(stat "$RTR" fastpath)
got=$(pingpong 5004 100)
[[ $got =~ ^100\ 203\.0\.113\. ]] || fail "after the firewall went: $got"
[ "$(fast_since "$f0")" -ge 190 ] || fail "the fast path did not come back"

step "fastpath 0: every packet by the normal path; 1: fast again"
$KNAT -n "$RTR" config set fastpath 0
f0=$(stat "$RTR" fastpath)
got=$(pingpong 5005 50)
[[ $got =~ ^50\ 203\.0\.113\. ]] || fail "with fastpath 0: $got"
expect_eq "fast path packets with fastpath 0" "$(fast_since "$f0")" 0
$KNAT -n "$RTR" config set fastpath 1
f0=$(stat "$RTR" fastpath)
got=$(pingpong 5005 50)
[[ $got =~ ^50\ 203\.0\.113\. ]] || fail "with fastpath 1 again: $got"
[ "$(fast_since "$f0")" -ge 90 ] || fail "fastpath 1 did not bring it back"

step "a device of a hooked router comes and goes"
in_ns "$RTR" ip link add dummy0 type dummy
in_ns "$RTR" ip link del dummy0
got=$(pingpong 5005 10)
[[ $got =~ ^10\ 203\.0\.113\. ]] || fail "after dummy0: $got"
stats_json "$RTR" | grep -o '"drop_[a-z_]*":[1-9][0-9]*' >&2 || true
expect_eq "drops" "$(drops "$RTR")" 0
rm -f "$CAP".*
