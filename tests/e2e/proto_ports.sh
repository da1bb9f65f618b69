#!/bin/bash
# Protocols with ports through knat (issue 17): a kernel SCTP
# association, UDP-Lite datagrams (coverage: the header only) and a DCCP
# connection, each mapped like UDP in its own port space: the server
# sees the pool's address, the answer comes back, and on the outside
# link no inside address and every CRC32c and checksum verifies.
. "$(dirname "$0")/_lib.sh"
topo_nat
# The test kernel has them as modules (tests/vm/kernel.config); loaded
# here, as a socket's autoload failed in the guest.
modprobe sctp && modprobe dccp_ipv4 || fail "modprobe sctp, dccp_ipv4"
# Senders make their checksums and SCTP's CRC32c in software.
need ethtool
tx_off "$C1" "$C2" "$SRV"
$KNAT -n "$RTR" pool add 203.0.113.1 from 10.0.1.0/24 block 64
serve "$SRV" sctp 9000 udplite 9001 dccp 9002
cap=/tmp/proto_ports.$$.pcap
capture "$SRV" eth0 "$cap"

for spec in sctp:9000 udplite:9001 dccp:9002; do
	step "${spec%:*} from c1 and c2, the same source port"
	proto=${spec%:*} port=${spec#*:}
	o1=$(ask "$C1" "$proto" 198.51.100.2 "$port" 5000) || fail "c1: no $proto answer"
	o2=$(ask "$C2" "$proto" 198.51.100.2 "$port" 5000) || fail "c2: no $proto answer"
	echo "   c1 is $o1, c2 is $o2 outside"
	[ "${o1%:*}" = 203.0.113.1 ] && [ "${o2%:*}" = 203.0.113.1 ] ||
		fail "$proto: the server saw $o1 and $o2"
	[ "$o1" != "$o2" ] || fail "$proto: one outside endpoint for two hosts"
done
capture_stop
$PCAP clean --min 12 "$cap" 10.0.1.0/24
m=$($KNAT -n "$RTR" mapping show) || fail "mapping show failed"
echo "$m"
for proto in sctp udplite dccp; do
	[ "$(grep -c "^$proto " <<< "$m")" = 2 ] || fail "want two $proto mappings"
done
rm -f "$cap" "$cap.log"
