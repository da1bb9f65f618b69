#!/bin/bash
# knat next to conntrack: a stateful firewall on the router (replies
# only as ESTABLISHED, everything else from outside dropped) keeps
# working for translated traffic, because conntrack sees the inside view
# of a flow in both directions (knat's hook priorities, hooks.h).
. "$(dirname "$0")/_lib.sh"
need nft
topo_nat
# The test kernel has both (tests/vm/kernel.config): setup errors, not skips.
modprobe nf_conntrack || fail "modprobe nf_conntrack"
in_ns "$RTR" nft -f - <<'NFT' || fail "nft: the stateful firewall was refused"
table inet fw {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "br-in" ct state new accept
		counter drop
	}
}
NFT
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0
# The UDP entry must outlive a slow TCP step (30 s by default; a loaded
# TCG guest took 67 s once).
in_ns "$RTR" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
serve "$SRV" udp 7000 tcp 8000

step "UDP and TCP through knat with a stateful firewall"
got=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "udp reply dropped"
[[ $got == 203.0.113.* ]] || fail "not translated: $got"
ask "$C1" tcp 198.51.100.2 8000 5001 >/dev/null || fail "tcp dropped"
step "conntrack tracked the inside view"
in_ns "$RTR" grep -q 'src=10.0.1.2 dst=198.51.100.2 .*sport=5000' /proc/net/nf_conntrack ||
	fail "no conntrack entry with the inside source: $(in_ns "$RTR" cat /proc/net/nf_conntrack)"
out=$(in_ns "$RTR" nft list chain inet fw forward)
grep -q 'counter packets 0' <<< "$out" || fail "the firewall dropped something: $out"
