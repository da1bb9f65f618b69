#!/bin/bash
# No inside address leaves untranslated, whatever the protocol. A packet
# that knat's configuration says must be translated (a pool's `from` and
# `out` match it, or it comes from a 1:1 inside address) leaves
# translated (protocols without ports by their address) or is dropped and
# counted: AH from a pool host (drop_unsupported), headers with ports cut
# short (drop_malformed). Once, all but TCP, UDP and ICMP left with their
# private source.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.1 from 10.0.1.0/24 block 64
$KNAT -n "$RTR" static add 203.0.113.20 10.0.1.3
cap=/tmp/no_leak.$$.pcap

# send_all NS SRC VIEW UNMAPPED: every protocol from SRC; none leaves
# with SRC. The six with ports come cut short: dropped, drop_malformed.
# UNMAPPED more (AH, for a pool host) are dropped, drop_unsupported. The
# rest leave translated, from VIEW: GRE, ESP and all without ports.
send_all() {
	local drops mal uns n
	drops=$(drops "$RTR")
	mal=$(stat "$RTR" drop_malformed)
	uns=$(stat "$RTR" drop_unsupported)
	capture "$SRV" eth0 "$cap"
	expect_eq "datagrams sent" "$(in_ns "$1" $PEER protocols "$2" 198.51.100.2)" 256
	capture_stop
	n=$(tcpdump -r "$cap" -n "ip and src $2" 2>/dev/null | wc -l)
	expect_eq "packets from $2 outside" "$n" 0
	n=$(tcpdump -r "$cap" -n "ip and src $3" 2>/dev/null | wc -l)
	expect_eq "packets translated, from $3" "$n" $((256 - 6 - $4))
	expect_eq "drops" "$(($(drops "$RTR") - drops))" $((6 + $4))
	expect_eq "drop_malformed" "$(($(stat "$RTR" drop_malformed) - mal))" 6
	expect_eq "drop_unsupported" "$(($(stat "$RTR" drop_unsupported) - uns))" "$4"
	rm -f "$cap" "$cap.log"
}

step "c1 (pool 203.0.113.1): every protocol 0-255, those with ports cut short"
send_all "$C1" 10.0.1.2 203.0.113.1 1
m=$($KNAT -n "$RTR" mapping show inside 10.0.1.2) || fail "mapping show failed"
n=$(grep -c " remote 198.51.100.2$" <<< "$m")
expect_eq "c1's mappings without ports, one a protocol" "$n" 249
grep -q "^gre .* 203.0.113.1 .* remote 198.51.100.2$" <<< "$m" || fail "no GRE mapping: $m"

step "c2 (1:1 203.0.113.20): the same, AH too (1:1 translates every protocol)"
send_all "$C2" 10.0.1.3 203.0.113.20 0

step "translatable traffic still goes through, both hosts"
serve "$SRV" udp 7000
got=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "c1: no reply"
[ "${got%:*}" = 203.0.113.1 ] || fail "c1 seen as $got"
got=$(ask "$C2" udp 198.51.100.2 7000 5000) || fail "c2: no reply"
expect_eq "c2 seen as" "$got" 203.0.113.20:5000
