#!/bin/bash
# Hairpinning (RFC 4787 REQ-9): c1 reaches c2 through c2's outside
# endpoint, and c2 sees c1's outside endpoint, never its inside address.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0
$KNAT -n "$RTR" config set filtering eif
serve "$SRV" udp 7000

step "c2 gets a mapping for port 6000, c1 one for 5000"
o2=$(ask "$C2" udp 198.51.100.2 7000 6000) || fail "c2: no reply"
o1=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "c1: no reply"
echo "   c1 is $o1, c2 is $o2 outside"
serve "$C2" udp 6000

step "c1 -> c2's outside endpoint"
got=$(ask "$C1" udp "${o2%:*}" "${o2#*:}" 5000) || fail "hairpin: no reply"
expect_eq "c2 saw c1 as" "$got" "$o1"
[ "$(stat "$RTR" hairpinned)" -ge 1 ] || fail "hairpinned not counted"

step "two sockets of one host: c1:5002 -> c1's own outside endpoint (RFC 5780)"
serve "$C1" udp 5000
got=$(ask "$C1" udp "${o1%:*}" "${o1#*:}" 5002) || fail "hairpin to the same host: no reply"
m=$($KNAT -n "$RTR" mapping show inside 10.0.1.2) || fail "mapping show failed"
o1b=$(awk '$1 == "udp" && $2 == "10.0.1.2:5002" { print $4 }' <<< "$m")
[ -n "$o1b" ] || fail "no mapping for c1:5002: $m"
expect_eq "c1:5000 saw c1:5002 as" "$got" "$o1b"

step "a hairpinned error: c2's port unreachable reaches c1 about c1's packet"
o2b=$(ask "$C2" udp 198.51.100.2 7000 6001) || fail "c2: no reply"
# Nothing listens on c2:6001. c1's socket hears the error only if its
# quote names c1's own packet: c1:5001 -> c2's outside endpoint.
out=$(ask "$C1" udp "${o2b%:*}" "${o2b#*:}" 5001 5 2>&1) && fail "answered: $out"
grep -q "Connection refused" <<< "$out" || fail "c1 saw: $out"
echo "   c1: $out"
[ "$(stat "$RTR" icmp_errors_in)" -ge 1 ] || fail "icmp_errors_in not counted"

step "hairpinned TCP: c1's mapping is established while the connection is open"
# The sender's mapping of a hairpinned flow is an outbound one too: its
# SYN counts, or it never becomes established (the 240 s transitory
# timer, for a connection held open).
serve "$SRV" tcp 8000
o2t=$(ask "$C2" tcp 198.51.100.2 8000 6100) || fail "c2: no TCP reply"
serve "$C2" tcp 6100
in_ns "$C1" /usr/bin/python3 -S -c "import socket, time
s = socket.create_connection(('${o2t%:*}', ${o2t#*:}), 10, ('0.0.0.0', 5100))
s.sendall(b'x')
s.recv(100)
time.sleep(60)" &
PIDS+=($!)
re='^tcp +10\.0\.1\.2:5100 .* established'
for _ in $(seq 60); do
	m=$($KNAT -n "$RTR" mapping show inside 10.0.1.2) || fail "mapping show failed"
	grep -qE "$re" <<< "$m" && break
	sleep 0.5
done
echo "$m"
grep -qE "$re" <<< "$m" || fail "c1's hairpinned TCP mapping is not established"
