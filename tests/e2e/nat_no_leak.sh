#!/bin/bash
# No inside address leaves untranslated, whatever the protocol. A packet
# that knat's configuration says must be translated (a pool's `from` and
# `out` match it, or it comes from a 1:1 inside address) and that knat
# cannot translate is dropped and counted: protocols knat does not know
# (drop_unsupported), TCP, UDP and ICMP headers cut short
# (drop_malformed). Once, all of them left with their private source.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.1 from 10.0.1.0/24 block 64
$KNAT -n "$RTR" static add 203.0.113.20 10.0.1.3
cap=/tmp/no_leak.$$.pcap

# send_all NS SRC ROUND: every protocol from SRC; nothing may leave, each
# counted (the counters add up over ROUNDs of a fresh router).
send_all() {
	local drops n
	drops=$(drops "$RTR")
	capture "$SRV" eth0 "$cap"
	expect_eq "datagrams sent" "$(in_ns "$1" $PEER protocols "$2" 198.51.100.2)" 256
	capture_stop
	n=$(tcpdump -r "$cap" -n "ip and src $2" 2>/dev/null | wc -l)
	expect_eq "packets from $2 outside" "$n" 0
	n=$(tcpdump -r "$cap" -n "ip and not src 198.51.100.2" 2>/dev/null | wc -l)
	expect_eq "packets translated (none can be)" "$n" 0
	expect_eq "drops" "$(($(drops "$RTR") - drops))" 256
	expect_eq "drop_unsupported" "$(stat "$RTR" drop_unsupported)" $((253 * $3))
	expect_eq "drop_malformed" "$(stat "$RTR" drop_malformed)" $((3 * $3))
	rm -f "$cap" "$cap.log"
}

step "c1 (pool 203.0.113.1): every protocol 0-255, TCP/UDP/ICMP cut short"
send_all "$C1" 10.0.1.2 1

step "c2 (1:1 203.0.113.20): the same"
send_all "$C2" 10.0.1.3 2

step "translatable traffic still goes through, both hosts"
serve "$SRV" udp 7000
got=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "c1: no reply"
[ "${got%:*}" = 203.0.113.1 ] || fail "c1 seen as $got"
got=$(ask "$C2" udp 198.51.100.2 7000 5000) || fail "c2: no reply"
expect_eq "c2 seen as" "$got" 203.0.113.20:5000
