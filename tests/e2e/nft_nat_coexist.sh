#!/bin/bash
# nftables NAT next to knat (the README's rule of what is "inside"): a
# flow nftables already source-translated leaves knat's hook with an
# outside source, so knat leaves it alone and conntrack translates its
# replies back; a host no nftables rule matches is knat's. Neither
# disturbs the other, and no inside address reaches the outside link.
. "$(dirname "$0")/_lib.sh"
need nft
topo_nat
need ethtool
tx_off "$C1" "$C2" "$SRV"
modprobe nf_nat || fail "modprobe nf_nat"
in_ns "$RTR" nft -f - <<'NFT' || fail "nft: the snat rule was refused"
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.0.1.2 oifname "out0" snat to 203.0.113.50
	}
}
NFT
$KNAT -n "$RTR" pool add 203.0.113.1 from 10.0.1.0/24 block 64
serve "$SRV" udp 7000 tcp 8000
cap=/tmp/nft_nat.$$.pcap
capture "$SRV" eth0 "$cap"

step "c1, which nftables translates: UDP and TCP, seen as nftables' address"
got=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "c1: no UDP reply"
expect_eq "c1 over UDP seen as" "${got%:*}" 203.0.113.50
got=$(ask "$C1" tcp 198.51.100.2 8000 5001) || fail "c1: no TCP reply"
expect_eq "c1 over TCP seen as" "${got%:*}" 203.0.113.50

step "c2, which only knat translates: seen as the pool's address"
got=$(ask "$C2" udp 198.51.100.2 7000 5000) || fail "c2: no UDP reply"
expect_eq "c2 seen as" "${got%:*}" 203.0.113.1
capture_stop
$PCAP clean --min 6 "$cap" 10.0.1.0/24
rm -f "$cap" "$cap.log"

step "knat mapped c2 only; conntrack holds c1's flows"
m=$($KNAT -n "$RTR" mapping show) || fail "mapping show failed"
echo "$m"
grep -q "10.0.1.3:5000" <<< "$m" || fail "no knat mapping for c2"
! grep -q "10.0.1.2" <<< "$m" || fail "knat mapped c1, which nftables had translated"
in_ns "$RTR" grep -q 'src=10.0.1.2 .*dport=7000 .*dst=203.0.113.50' /proc/net/nf_conntrack ||
	fail "no conntrack NAT entry for c1: $(in_ns "$RTR" cat /proc/net/nf_conntrack)"
