#!/bin/bash
# Crafted and malformed packets from both sides of the router
# (adversarial.py): ICMP errors that are short, corrupt, spoofed or about
# errors; odd ICMP queries; TTL 0 and 1 both ways; IP options; lengths
# that lie; fragments first, middle, last, tiny and overlapping; wrong
# and absent transport checksums; SYN+FIN; RSTs at guessed ports;
# broadcast and multicast. Each case asserts its outcome on the wire and
# in knat's counters; the last checks normal traffic still flows.
. "$(dirname "$0")/_lib.sh"
need nft
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0 name isp
# The endpoints stay silent: no ICMP, no RST of their own to move a counter.
for ns in "$C1" "$SRV"; do
	in_ns "$ns" nft -f - <<-'NFT' || fail "nft: the endpoints' output filter was refused"
	table ip quiet {
		chain out {
			type filter hook output priority 0;
			meta l4proto icmp drop
			tcp flags & rst == rst drop
		}
	}
	NFT
done
mac_of() { ip -n "$1" -br link show "$2" | awk '{ print $3 }'; }
# Neighbours fixed: the endpoints' ARP answers are not part of the test.
ip -n "$RTR" neigh replace 10.0.1.2 lladdr "$(mac_of "$C1" eth0)" dev br-in nud permanent
ip -n "$RTR" neigh replace 198.51.100.2 lladdr "$(mac_of "$SRV" eth0)" dev out0 nud permanent

step "crafted packets, each with its expected outcome"
/usr/bin/python3 -S "$(dirname "$0")/adversarial.py" "$C1" "$RTR" "$SRV" \
	"$(mac_of "$RTR" br-in)" "$(mac_of "$RTR" out0)" "$KNAT" ||
	fail "adversarial cases failed"
echo ok
