#!/bin/bash
# ICMP queries through knat: the echo identifier is the "port". Two
# clients pinging one server with the same identifier at once both get
# every reply of their own and none of the other's; one client pinging
# two destinations keeps one mapping (EIM); a query mapping expires after
# timeout-icmp; an unsolicited echo reply is dropped and counted; an echo
# request to the router's own pool address is the router's to answer.
. "$(dirname "$0")/_lib.sh"
topo_icmp
$KNAT -n "$RTR" pool add 203.0.113.1 out out0
CAP=/tmp/icmp-echo.$$
capture "$C1" eth0 "$CAP.c1" \
	"$C2" eth0 "$CAP.c2" \
	"$RTR" out0 "$CAP.out"

step "c1 and c2 ping srv with identifier 4321 at the same time"
in_ns "$C1" ping -n -q -e 4321 -c 5 -i 0.2 -W 3 192.0.2.2 > "$CAP.p1" &
p1=$!
in_ns "$C2" ping -n -q -e 4321 -c 5 -i 0.2 -W 3 192.0.2.2 > "$CAP.p2" &
p2=$!
wait $p1 || fail "c1 ping: $(cat "$CAP.p1")"
wait $p2 || fail "c2 ping: $(cat "$CAP.p2")"
grep -q " 5 received" "$CAP.p1" || fail "c1: $(cat "$CAP.p1")"
grep -q " 5 received" "$CAP.p2" || fail "c2: $(cat "$CAP.p2")"
capture_stop
for c in c1:10.0.1.2 c2:10.0.1.3; do
	got=$($PCAP echo "$CAP.${c%%:*}" | awk '$1 == "reply"' | sort -k6n)
	want=$(for s in 1 2 3 4 5; do
		echo "reply 192.0.2.2 > ${c#*:} 4321 $s"; done)
	expect_eq "${c%%:*} got each of its replies once, only its own" \
		"$(tr '\n' ' ' <<< "$got")" "$(tr '\n' ' ' <<< "$want")"
done
ids=$($PCAP echo "$CAP.out" | awk '$1 == "request" { print $2, $5 }' | sort -u)
echo "$ids" | sed 's/^/   outside: /'
expect_eq "outside (address, id) pairs" "$(wc -l <<< "$ids")" 2
expect_eq "outside address" "$(cut -d' ' -f1 <<< "$ids" | sort -u)" 203.0.113.1
$PCAP clean --min 20 "$CAP.out" 10.0.0.0/8	# 10 requests, 10 replies

step "one identifier, two destinations: one mapping (EIM)"
in_ns "$C1" ping -n -q -e 999 -c 1 -W 3 192.0.2.2 >/dev/null || fail "ping srv"
in_ns "$C1" ping -n -q -e 999 -c 1 -W 3 198.51.100.2 >/dev/null || fail "ping r2"
out=$($KNAT -n "$RTR" mapping show proto icmp inside 10.0.1.2)
expect_eq "mappings of id 999" "$(grep -c ":999 " <<< "$out")" 1

step "an echo reply nobody asked for is dropped and counted"
before=$(stat "$RTR" drop_no_mapping)
in_ns "$SRV" $PEER icmp 203.0.113.1 0 777
for _ in $(seq 50); do
	[ "$(stat "$RTR" drop_no_mapping)" -gt "$before" ] && break
	sleep 0.1
done
[ "$(stat "$RTR" drop_no_mapping)" -gt "$before" ] || fail "not counted"

step "a query mapping expires after timeout-icmp"
$KNAT -n "$RTR" mapping flush
$KNAT -n "$RTR" config set timeout-icmp 2
in_ns "$C1" ping -n -q -e 555 -c 1 -W 3 192.0.2.2 >/dev/null || fail "ping"
# icmp_555: the mapping of id 555, or nothing if there is none; fails
# (prints nothing, exit 1) when the CLI does.
icmp_555() {
	local out
	out=$($KNAT -n "$RTR" mapping show proto icmp) ||
		fail "knat mapping show failed (exit $?)"
	grep ":555 " <<< "$out" || true
}
[ -n "$(icmp_555)" ] || fail "no mapping"
for _ in $(seq 100); do
	m=$(icmp_555)
	[ -z "$m" ] && break
	sleep 0.1
done
[ -z "$m" ] || fail "did not expire: $m"
echo "   gone after about 2 s"

step "the router's own pool address answers pings itself"
$KNAT -n "$RTR" pool del pool1
$KNAT -n "$RTR" masquerade add out out0
in_ns "$SRV" ping -n -q -c 2 -W 3 198.51.100.1 >/dev/null || fail "router did not answer"
in_ns "$C1" ping -n -q -c 2 -W 3 192.0.2.2 >/dev/null || fail "masqueraded ping"
