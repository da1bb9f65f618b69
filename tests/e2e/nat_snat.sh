#!/bin/bash
# Core SNAT: two inside clients use the same UDP and TCP source port
# towards one server at the same time; both get their own replies, the
# server sees pool addresses only (paired: one outside address per
# client), mappings are endpoint-independent and listed by the CLI.
. "$(dirname "$0")/_lib.sh"
topo_nat
ip -n "$SRV" addr add 198.51.100.3/24 dev eth0	# a second server address

step "pool of 203.0.113.0/24 for traffic leaving out0"
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0 name isp
serve "$SRV" udp 7000 tcp 8000

step "same UDP source port from two clients"
r1=$(ask "$C1" udp 198.51.100.2 7000 5000) || fail "c1 got no UDP reply"
r2=$(ask "$C2" udp 198.51.100.2 7000 5000) || fail "c2 got no UDP reply"
echo "   server saw c1 as $r1, c2 as $r2"
[[ $r1 == 203.0.113.* ]] || fail "c1 not translated: $r1"
[[ $r2 == 203.0.113.* ]] || fail "c2 not translated: $r2"
[ "$r1" != "$r2" ] || fail "c1 and c2 share an outside endpoint $r1"

step "TCP from both clients with the same source port"
t1=$(ask "$C1" tcp 198.51.100.2 8000 5000) || fail "c1 TCP failed"
t2=$(ask "$C2" tcp 198.51.100.2 8000 5000) || fail "c2 TCP failed"
echo "   server saw c1 as $t1, c2 as $t2"
expect_eq "c1 paired address (TCP vs UDP)" "${t1%:*}" "${r1%:*}"
expect_eq "c2 paired address (TCP vs UDP)" "${t2%:*}" "${r2%:*}"

step "endpoint-independent mapping: one outside port for two destinations"
e1=$(ask "$C1" udp 198.51.100.2 7000 5001) || fail "no reply from .2"
serve "$SRV" udp 7001
e2=$(ask "$C1" udp 198.51.100.3 7001 5001) || fail "no reply from .3"
expect_eq "outside endpoint towards .3" "$e2" "$e1"

step "knat mapping show -j lists what was created"
json=$($KNAT -n "$RTR" mapping show -j)
echo "$json" | /usr/bin/python3 -S -c '
import json, sys
maps = json.load(sys.stdin)
want = {("udp", "10.0.1.2", 5000), ("udp", "10.0.1.3", 5000),
        ("tcp", "10.0.1.2", 5000), ("tcp", "10.0.1.3", 5000),
        ("udp", "10.0.1.2", 5001)}
have = {(m["proto"], m["inside_addr"], m["inside_port"]) for m in maps}
missing = want - have
assert not missing, "missing mappings: %s" % missing
for m in maps:
    assert m["outside_addr"].startswith("203.0.113."), m
    assert m["pool"] == "isp", m
print("   %d mappings, all in 203.0.113.0/24" % len(maps))
' || fail "mapping show -j"
out=$(ask "$C1" udp 198.51.100.2 7000 5000)
grep -q "${r1#*:}" <<< "$($KNAT -n "$RTR" mapping show proto udp inside 10.0.1.2)" ||
	fail "text listing lacks c1's outside port ${r1#*:}"
expect_eq "same mapping on the next packet" "$out" "$r1"

step "port parity (RFC 4787 REQ-4) when asked for"
$KNAT -n "$RTR" config set port-parity 1
for sp in 6000 6001 6002 6003; do
	out=$(ask "$C2" udp 198.51.100.2 7000 $sp) || fail "no reply from $sp"
	expect_eq "parity of $sp -> ${out#*:}" $(( ${out#*:} % 2 )) $((sp % 2))
done
$KNAT -n "$RTR" config set port-parity 0

step "counters"
[ "$(stat "$RTR" out_translated)" -ge 6 ] || fail "out_translated too low"
[ "$(stat "$RTR" in_translated)" -ge 6 ] || fail "in_translated too low"
expect_eq "mappings created" "$(stat "$RTR" mappings_created)" 9
$KNAT -n "$RTR" pool show

step "pool del removes its mappings"
$KNAT -n "$RTR" pool del isp
expect_eq "mappings after pool del" "$(stat "$RTR" mappings)" 0
expect_fail ask "$C1" udp 198.51.100.2 7000 5000 1
