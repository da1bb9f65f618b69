#!/bin/bash
# Port forwards and 1:1 NAT: outside hosts reach an inside server through
# the outside address, its replies leave from that address, and the
# inside host of a 1:1 entry is the outside address both ways.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0
serve "$C1" tcp 80 udp 53

step "forward tcp 203.0.113.250:8080-8081 and udp :5353 to c1"
$KNAT -n "$RTR" forward add tcp 203.0.113.250:8080-8081 to 10.0.1.2:80-81
$KNAT -n "$RTR" forward add udp 203.0.113.250:5353 to 10.0.1.2:53
$KNAT -n "$RTR" forward show
got=$(ask "$SRV" tcp 203.0.113.250 8080 41000) || fail "tcp forward"
expect_eq "c1 saw (tcp)" "$got" "198.51.100.2:41000"
got=$(ask "$SRV" udp 203.0.113.250 5353 41001) || fail "udp forward"
expect_eq "c1 saw (udp)" "$got" "198.51.100.2:41001"
out=$($KNAT -n "$RTR" -j forward show)
grep -q '"ports":2' <<< "$out" || fail "forward show -j: $out"
# The reply came from the forward's address: the client connected to it.

step "a forward survives mapping flush; refusals"
$KNAT -n "$RTR" mapping flush
ask "$SRV" udp 203.0.113.250 5353 41002 >/dev/null || fail "forward flushed"
rc=0
out=$($KNAT -n "$RTR" forward add tcp 203.0.113.250:8081 to 10.0.1.3:80 2>&1) || rc=$?
expect_eq "overlapping forward exit" "$rc" 1
echo "   $out"

step "forward del"
$KNAT -n "$RTR" forward del tcp 203.0.113.250:8080
expect_fail ask "$SRV" tcp 203.0.113.250 8080 41003 1
[ "$(stat "$RTR" drop_no_mapping)" -ge 1 ] || fail "not counted"

step "static 1:1: 203.0.113.200 is c2, both ways, every port"
$KNAT -n "$RTR" static add 203.0.113.200 10.0.1.3 2>/dev/null &&
	fail "1:1 address inside a pool must be refused" || true
$KNAT -n "$RTR" pool del pool1
$KNAT -n "$RTR" static add 203.0.113.200 10.0.1.3
$KNAT -n "$RTR" static show
serve "$C2" udp 9999
got=$(ask "$SRV" udp 203.0.113.200 9999 42000) || fail "1:1 inbound"
expect_eq "c2 saw" "$got" "198.51.100.2:42000"
serve "$SRV" udp 7000
got=$(ask "$C2" udp 198.51.100.2 7000 4321) || fail "1:1 outbound"
expect_eq "server saw c2 as" "$got" "203.0.113.200:4321"
in_ns "$C2" ping -c 1 -W 2 198.51.100.2 >/dev/null || fail "1:1 ping"

step "1:1 and fragments: knat reassembles them (nothing else does here), sends fragments"
# A chain between conntrack's defragmentation (-400) and knat's hook
# (-210) counts the fragments it sees: which of the two reassembled.
in_ns "$RTR" nft -f - <<-EOF
table ip probe {
	chain pre { type filter hook prerouting priority -300; ip frag-off & 0x3fff != 0 counter; }
}
EOF
probe_frags() {
	in_ns "$RTR" nft list chain ip probe pre | grep -o 'packets [0-9]*' | cut -d' ' -f2
}
# big_both_ways WHAT SPORT-IN SPORT-OUT: two 3,000-byte datagrams each
# way (3,008 bytes of UDP in 1,480-byte pieces: 3 fragments a datagram).
big_both_ways() {
	local got
	got=$(in_ns "$SRV" $PEER pingpong 203.0.113.200 9999 "$2" 2 3000)
	expect_eq "$1: c2 answered the big datagrams from" "$got" "2 198.51.100.2:$2"
	got=$(in_ns "$C2" $PEER pingpong 198.51.100.2 7000 "$3" 2 3000)
	expect_eq "$1: the server answered the big datagrams from" "$got" "2 203.0.113.200:$3"
}
frags=$(stat "$RTR" drop_fragment)
f=/tmp/frags.$$
capture "$SRV" eth0 "$f"
seen=$(probe_frags)
big_both_ways "knat alone" 42002 4322
capture_stop
expect_eq "fragments before knat's hook" "$(($(probe_frags) - seen))" 12
expect_eq "fragments from the 1:1 address at the server" \
	"$(tcpdump -r "$f" -n 'src 203.0.113.200 and ip[6:2] & 0x3fff != 0' 2>/dev/null | wc -l)" 6
expect_eq "packets from an inside address at the server" \
	"$(tcpdump -r "$f" -n 'src net 10.0.0.0/8' 2>/dev/null | wc -l)" 0
rm -f "$f" "$f.log"

step "conntrack in use: its defragmentation; with notrack before it, knat's"
in_ns "$RTR" nft -f - <<-EOF
table ip tracked {
	chain forward { type filter hook forward priority 0; ct state established,related,new counter accept; }
}
EOF
seen=$(probe_frags)
big_both_ways "conntrack's defragmentation" 42003 4323
expect_eq "fragments before knat's hook (conntrack's reassembled)" "$(($(probe_frags) - seen))" 0
in_ns "$RTR" nft list chain ip tracked forward | grep -q 'packets [1-9]' ||
	fail "conntrack saw nothing: the step proves nothing"
# notrack before defragmentation (-400): nf_defrag_ipv4 leaves these
# alone; knat reassembles them itself (a later fragment has no UDP
# header: rewriting "its checksum" would damage payload).
in_ns "$RTR" nft -f - <<-EOF
table ip nodefrag {
	chain pre { type filter hook prerouting priority -450; notrack; }
}
EOF
seen=$(probe_frags)
big_both_ways "untracked, knat's defragmentation" 42004 4324
expect_eq "fragments before knat's hook (untracked)" "$(($(probe_frags) - seen))" 12
expect_eq "fragments dropped" "$(($(stat "$RTR" drop_fragment) - frags))" 0

step "an untracked fragment passing through from the uplink is left alone, as nf_defrag_ipv4 leaves it"
# out0 an uplink again (a pool of others' hosts leaving by it). The last
# piece of a datagram alone, from outside to c2's inside address (a
# route the router sees half of): reassembly would hold it 30 s, then
# drop it.
$KNAT -n "$RTR" pool add 203.0.113.64/28 out out0 from 10.0.9.0/24 name uplink
in_ns "$SRV" ip route add 10.0.1.0/24 via 198.51.100.1
f=/tmp/lone.$$
capture "$C2" eth0 "$f"
# The same of ICMP: reassembled whatever its addresses (an error's quote
# may name an inside endpoint), so held, and nothing reaches c2.
in_ns "$SRV" /usr/bin/python3 -S -c "import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
body = b'k' * 64
for ident, proto in ((0x4b4e, 17), (0x4b4d, 1)):
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(body), ident, 185, 64, proto, 0,
                      socket.inet_aton('198.51.100.2'), socket.inet_aton('10.0.1.3'))
    s.sendto(hdr + body, ('10.0.1.3', 0))"
capture_stop
expect_eq "the lone UDP fragment at c2" \
	"$(tcpdump -r "$f" -n 'src 198.51.100.2 and udp and ip[6:2] & 0x1fff = 185' 2>/dev/null | wc -l)" 1
expect_eq "the lone ICMP fragment at c2" \
	"$(tcpdump -r "$f" -n 'src 198.51.100.2 and icmp and ip[6:2] & 0x1fff = 185' 2>/dev/null | wc -l)" 0
rm -f "$f" "$f.log"
in_ns "$SRV" ip route del 10.0.1.0/24 via 198.51.100.1

step "an untracked fragmented reply of a forward's inside host: reassembled, translated, no inside address out"
# c1 is udp 203.0.113.250:5353's inside host and no pool's. Its reply's
# pieces, crafted: the first with the UDP header (from port 53), then
# the last. Unassembled, the last would leave from 10.0.1.2.
# udp_in_pieces NS SRC DST DPORT ID: from NS, a UDP datagram from SRC
# port 53 to DST:DPORT in two crafted pieces, the first (1,500 bytes,
# the UDP header in it) and the last (64 bytes at offset 1,480).
udp_in_pieces() {
	in_ns "$1" /usr/bin/python3 -S -c "import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def piece(flags_off, body):
    return struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(body), $5, flags_off, 64,
                       17, 0, socket.inet_aton('$2'), socket.inet_aton('$3')) + body
udp = struct.pack('!HHHH', 53, $4, 8 + 1472 + 64, 0)
s.sendto(piece(0x2000, udp + b'k' * 1472), ('$3', 0))
s.sendto(piece(185, b'k' * 64), ('$3', 0))"
}
f=/tmp/fwdfrag.$$
capture "$SRV" eth0 "$f"
udp_in_pieces "$C1" 10.0.1.2 198.51.100.2 41005 0x4b4f
capture_stop
expect_eq "packets from an inside address at the server" \
	"$(tcpdump -r "$f" -n 'src net 10.0.0.0/8' 2>/dev/null | wc -l)" 0
expect_eq "fragments from the forward's address at the server" \
	"$(tcpdump -r "$f" -n 'src 203.0.113.250 and ip[6:2] & 0x3fff != 0' 2>/dev/null | wc -l)" 2
rm -f "$f" "$f.log"

step "an untracked fragmented reply of a forward's host behind the uplink: reassembled, translated"
# The uplink test alone would leave these alone (in by out0, to c1, from
# no pool's host): the forward's host is found by its address, which
# stays some forward's while one is left (a second, removed).
$KNAT -n "$RTR" forward add udp 203.0.113.250:5354 to 198.51.100.2:53
$KNAT -n "$RTR" forward add udp 203.0.113.250:5355 to 198.51.100.2:54
$KNAT -n "$RTR" forward del udp 203.0.113.250:5355
in_ns "$SRV" ip route add 10.0.1.0/24 via 198.51.100.1
f=/tmp/fwdfrag2.$$
capture "$C1" eth0 "$f"
udp_in_pieces "$SRV" 198.51.100.2 10.0.1.2 41006 0x4b50
capture_stop
expect_eq "packets from the forward's host's own address at c1" \
	"$(tcpdump -r "$f" -n 'src 198.51.100.2' 2>/dev/null | wc -l)" 0
expect_eq "fragments from the forward's address at c1" \
	"$(tcpdump -r "$f" -n 'src 203.0.113.250 and ip[6:2] & 0x3fff != 0' 2>/dev/null | wc -l)" 2
rm -f "$f" "$f.log"
in_ns "$SRV" ip route del 10.0.1.0/24 via 198.51.100.1
$KNAT -n "$RTR" forward del udp 203.0.113.250:5354
$KNAT -n "$RTR" pool del uplink
in_ns "$RTR" nft delete table ip nodefrag
in_ns "$RTR" nft delete table ip tracked
in_ns "$RTR" nft delete table ip probe
$KNAT -n "$RTR" static del 203.0.113.200
expect_fail ask "$SRV" udp 203.0.113.200 9999 42001 1
