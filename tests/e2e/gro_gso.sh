#!/bin/bash
# GRO-merged and GSO packets through knat, with tcpdump on the router (so
# every packet knat writes is a clone it must un-clone first):
#
#   c1 eth0 10.0.1.2 -- in0 rtr out0 198.51.100.1 -- eth0 srv 198.51.100.2
#
# The router's in0 and out0 merge what they receive (veth GRO) and send
# with checksum offload off, so the kernel segments knat's output in
# software and computes every checksum from what knat left in the header:
# a pseudo-header checksum knat got wrong comes out as a wrong checksum on
# the wire, caught by the captures. Merged packets over the MTU must be
# forwarded, never answered with "fragmentation needed".
. "$(dirname "$0")/_lib.sh"
need ethtool
netns_new "$C1" "$RTR" "$SRV"
ip -batch - <<EOF
link add eth0 netns $C1 type veth peer name in0 netns $RTR
link add out0 netns $RTR type veth peer name eth0 netns $SRV
EOF
ns_setup "$C1" "addr add 10.0.1.2/24 dev eth0" "route add default via 10.0.1.1"
ns_setup "$RTR" "addr add 10.0.1.1/24 dev in0" "addr add 198.51.100.1/24 dev out0"
ns_setup "$SRV" "addr add 198.51.100.2/24 dev eth0" \
	"route add 203.0.113.0/24 via 198.51.100.1"
# ns_setup turned transmit checksums (and so TSO and GSO) off everywhere.
in_ns "$RTR" ethtool -K in0 gro on
in_ns "$RTR" ethtool -K out0 gro on
$KNAT -n "$RTR" pool add 203.0.113.1 out out0
CAP=/tmp/gro-gso.$$

# unreachables_sent: ICMP destination unreachables the router's kernel sent
# (frag-needed among them); knat's own are icmp_sent in its stats.
unreachables_sent() {
	in_ns "$RTR" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++)
		if ($i == "OutDestUnreachs") c = i; h = 1 } else print $c }' \
		/proc/net/snmp
}
unreach0=$(unreachables_sent)

# big_frames FILE: frames over 1514 bytes (merged by GRO, or GSO) in FILE.
big_frames() {
	local n
	n=$(tcpdump -r "$1" -n 'greater 1515' 2>/dev/null | wc -l) || fail "tcpdump -r $1"
	echo "$n"
}

serve_sink "$SRV" 9000
serve_sink "$C1" 8080
$KNAT -n "$RTR" forward add tcp 203.0.113.1:8080 to 10.0.1.2:8080

# transfer FROM-NS DST PORT MERGING-IF CAPTURE-NS CLEAN-PREFIX: 1 MB over
# TCP, intact; the router's MERGING-IF saw merged packets; the receiver's
# capture has valid checksums and no address in CLEAN-PREFIX.
transfer() {
	local got merged
	capture "$RTR" "$4" "$CAP.rtr" "$5" eth0 "$CAP.rcv"
	got=$(in_ns "$1" $PEER push "$2" "$3" 1000000 60) || fail "transfer failed"
	capture_stop
	expect_eq "bytes received, intact" "$got" 1000000
	merged=$(big_frames "$CAP.rtr")
	echo "   $merged merged packets over 1500 bytes seen on the router's $4"
	[ "$merged" -gt 0 ] || fail "GRO merged nothing: the test proves nothing"
	# 1 MB in packets of at most 64 KB, however merged.
	$PCAP clean --min 16 "$CAP.rcv" "$6"
}

step "upload: c1 sends segments, the router's in0 merges them"
transfer "$C1" 198.51.100.2 9000 in0 "$SRV" 10.0.0.0/8

step "download through a forward: srv sends segments, the router's out0 merges them"
transfer "$SRV" 203.0.113.1 8080 out0 "$C1" 203.0.113.0/24

step "GSO from c1: TCP in 64 KB super-packets, UDP cut by UDP_SEGMENT"
in_ns "$C1" ethtool -K eth0 tx on tso on gso on
capture "$SRV" eth0 "$CAP.gso"
got=$(in_ns "$C1" $PEER push 198.51.100.2 9000 1000000 60) || fail "transfer failed"
expect_eq "bytes srv received from c1, intact" "$got" 1000000
in_ns "$SRV" $PEER collect 7000 40 10 > "$CAP.udp" &
collector=$!
sleep 1
in_ns "$C1" $PEER gso 198.51.100.2 7000 5555 1000 20000
in_ns "$C1" $PEER gso 198.51.100.2 7000 5555 1400 28000
wait $collector
capture_stop
sed 's/^/   /' "$CAP.udp"
out=$($KNAT -n "$RTR" mapping show proto udp inside 10.0.1.2 | awk '{ print $4 }')
expect_eq "datagrams srv received" "$(cat "$CAP.udp")" \
	"$(printf '20 x 1000 from %s\n20 x 1400 from %s' "$out" "$out")"
# The 1 MB in at least 16 packets, and the 40 datagrams.
$PCAP clean --min 56 "$CAP.gso" 10.0.0.0/8

step "nothing refused, no fragmentation needed"
expect_eq "unreachables sent by the router" "$(($(unreachables_sent) - unreach0))" 0
expect_eq "knat's own ICMP" "$(stat "$RTR" icmp_sent)" 0
expect_eq "knat's drops" "$(drops "$RTR")" 0
rm -f "$CAP".*
