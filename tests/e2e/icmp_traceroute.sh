#!/bin/bash
# traceroute through knat, every method, both ways. Outbound, every hop
# answers: r1, the knat router, r2 (its errors translated back), and the
# server. Inbound to a port forward and a 1:1 address: r2, the knat router
# (knat's own time exceeded, quoting the probe as sent), r1 (its error
# translated out under the forward's address) and the inside host. No
# inside address leaves on the outside; every checksum verifies.
. "$(dirname "$0")/_lib.sh"
topo_icmp
$KNAT -n "$RTR" pool add 203.0.113.1 out out0
$KNAT -n "$RTR" forward add tcp 203.0.113.10:80 to 10.0.1.2:80
$KNAT -n "$RTR" forward add udp 203.0.113.10:53 to 10.0.1.2:53
$KNAT -n "$RTR" static add 203.0.113.20 10.0.1.3
serve "$SRV" tcp 80
serve "$C1" tcp 80
CAP=/tmp/icmp-trace.$$
capture "$RTR" out0 "$CAP.out" "$RTR" in0 "$CAP.in"

trace() { # trace NS WANT ARGS...: every hop answers, in this order
	local ns=$1 want=$2 got
	shift 2
	got=$(hops "$ns" "$@" | tr '\n' ' ') || fail "traceroute $*: exit $?"
	expect_eq "traceroute $*" "${got% }" "$want"
}

step "outbound: c1 to srv"
out="10.0.1.1 10.0.0.1 198.51.100.2 192.0.2.2"
trace "$C1" "$out" -I 192.0.2.2
trace "$C1" "$out" -U 192.0.2.2
trace "$C1" "$out" -T -p 80 192.0.2.2

step "inbound: srv to the forward and to the 1:1 address"
trace "$SRV" "192.0.2.1 198.51.100.1 203.0.113.10 203.0.113.10" -T -p 80 203.0.113.10
trace "$SRV" "192.0.2.1 198.51.100.1 203.0.113.10 203.0.113.10" -U -p 53 203.0.113.10
trace "$SRV" "192.0.2.1 198.51.100.1 203.0.113.20 203.0.113.20" -I 203.0.113.20
trace "$SRV" "192.0.2.1 198.51.100.1 203.0.113.20 203.0.113.20" -U 203.0.113.20
trace "$SRV" "192.0.2.1 198.51.100.1 203.0.113.20 203.0.113.20" -T -p 22 203.0.113.20
capture_stop

step "on the wire"
# Each of the 8 traces sends at least 2 probes across each of the
# router's links and gets 2 answers back across it: 32 packets at least.
$PCAP clean --min 32 "$CAP.out" 10.0.0.0/8
errs=$($PCAP errors "$CAP.out")
sort <<< "$errs" | uniq -c | sed 's/^/   /'
# The router's own time exceeded quotes the probe as srv sent it.
grep -q "^11/0 198.51.100.1 > 192.0.2.2 quoting 192.0.2.2:[0-9]* > 203.0.113.10:80 tcp" <<< "$errs" ||
	fail "no time exceeded from the knat router about the forward probe"
grep -q "^11/0 203.0.113.10 > 192.0.2.2 quoting 192.0.2.2:[0-9]* > 203.0.113.10:80 tcp" <<< "$errs" ||
	fail "r1's time exceeded not translated out"
grep -q "^3/3 203.0.113.10 > 192.0.2.2 quoting 192.0.2.2:[0-9]* > 203.0.113.10:53 udp" <<< "$errs" ||
	fail "c1's port unreachable not translated out"
# Inside, r2's errors reach c1 about c1's own probes; every checksum
# there verifies too, and no pool address is left in (nor in a quote).
errs=$($PCAP errors "$CAP.in")
grep -q "^11/0 198.51.100.2 > 10.0.1.2 quoting 10.0.1.2:[0-9]* > 192.0.2.2:[0-9]* udp" <<< "$errs" ||
	fail "r2's time exceeded not translated in"
$PCAP clean --min 32 "$CAP.in" 203.0.113.0/24
echo "   errors in: $(stat "$RTR" icmp_errors_in), out: $(stat "$RTR" icmp_errors_out), sent by knat: $(stat "$RTR" icmp_sent)"
