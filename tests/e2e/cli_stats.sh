#!/bin/bash
# knat stats and knat subscriber show: counters by direction and protocol
# that match the traffic sent (packets and bytes), mappings by protocol,
# the pool's blocks and its busiest subscribers, in JSON and as an
# 80-column text chart; the subscriber dump's filters and error paths.
. "$(dirname "$0")/_lib.sh"
topo_nat
TMPDIR=$(mktemp -d /tmp/cli-stats.XXXXXX)
$KNAT -n "$RTR" pool add 203.0.113.0/30 out out0 name isp block 64
# The pings' mapping must outlive the checks (60 s by default): a busy
# guest once took 94 s to reach the subscriber dump.
$KNAT -n "$RTR" config set timeout-icmp 600
serve "$SRV" udp 7000 tcp 8000

step "traffic: c1 100 UDP flows and 2 pings, c2 one UDP and one TCP flow"
n=$(in_ns "$C1" $PEER burst udp 198.51.100.2 7000 20000 100)
expect_eq "UDP flows answered" "$n" 100
in_ns "$C1" ping -c 2 -i 0.2 -q 198.51.100.2 >/dev/null || fail "c1 ping"
ask "$C2" udp 198.51.100.2 7000 5000 >/dev/null || fail "c2 UDP"
ask "$C2" tcp 198.51.100.2 8000 5000 >/dev/null || fail "c2 TCP"

step "knat -j stats: mappings by protocol, packets and bytes by direction"
$KNAT -n "$RTR" -j stats > "$TMPDIR/stats.json"
/usr/bin/python3 -S - "$TMPDIR/stats.json" <<'PY' || fail "stats -j"
import json, sys
s = json.load(open(sys.argv[1]))
def eq(what, got, want):
    assert got == want, "%s: got %r, want %r" % (what, got, want)
    print("   %s: %r" % (what, got))
eq("mappings udp/tcp/icmp", (s["mappings_udp"], s["mappings_tcp"],
                             s["mappings_icmp"]), (101, 1, 1))
eq("mappings", s["mappings"], 103)
# One 5-byte datagram per UDP flow: 20 + 8 + 5 bytes on the wire.
eq("out udp packets, bytes", (s["out_packets_udp"], s["out_bytes_udp"]),
   (101, 101 * 33))
eq("in udp packets", s["in_packets_udp"], 101)
# ping's default 56 bytes of data: 84-byte packets each way.
eq("icmp packets, bytes out", (s["out_packets_icmp"], s["out_bytes_icmp"]),
   (2, 168))
eq("icmp packets, bytes in", (s["in_packets_icmp"], s["in_bytes_icmp"]),
   (2, 168))
assert s["out_packets_tcp"] >= 4 and s["in_packets_tcp"] >= 3, s
eq("out by protocol sums to out_translated",
   s["out_packets_tcp"] + s["out_packets_udp"] + s["out_packets_icmp"],
   s["out_translated"])
eq("in by protocol sums to in_translated",
   s["in_packets_tcp"] + s["in_packets_udp"] + s["in_packets_icmp"],
   s["in_translated"])
p, = s["pools"]
eq("pool", (p["name"], p["blocks_used"], p["subscribers"]), ("isp", 3, 2))
eq("blocks add up", p["blocks_used"] + p["blocks_cooling"] + p["blocks_free"],
   p["blocks_total"])
b = [(x["inside_addr"], x["blocks"], x["ports"]) for x in p["busiest"]]
eq("busiest subscribers", b, [("10.0.1.2", 2, 101), ("10.0.1.3", 1, 2)])
PY

step "knat stats: the text chart fits 80 columns"
$KNAT -n "$RTR" stats > "$TMPDIR/stats.txt"
cat "$TMPDIR/stats.txt"
wide=$(awk 'length > 80' "$TMPDIR/stats.txt")
[ -z "$wide" ] || fail "lines over 80 columns: $wide"
grep -q "^mappings 103: tcp 1, udp 101, icmp 1, sctp 0, udplite 0, dccp 0, other 0$" "$TMPDIR/stats.txt" ||
	fail "no mappings line"
grep -q "^pool isp: " "$TMPDIR/stats.txt" || fail "no chart for pool isp"
line=$(grep -A1 "busiest subscribers" "$TMPDIR/stats.txt" | tail -n 1) ||
	fail "no busiest subscribers"
grep -q "^  10.0.1.2 .*|   101 ports, 2 blocks, 203.0.113" <<< "$line" ||
	fail "busiest line: $line"

step "knat subscriber show: filters, text, errors"
got=$($KNAT -n "$RTR" -j subscriber show | /usr/bin/python3 -S -c '
import json, sys
print(" ".join(sorted("%s/%d" % (s["inside_addr"], s["ports"])
                      for s in json.load(sys.stdin))))')
expect_eq "subscribers" "$got" "10.0.1.2/101 10.0.1.3/2"
got=$($KNAT -n "$RTR" subscriber show inside 10.0.1.3 | awk 'NR > 1 { print $1, $4, $5 }')
expect_eq "inside 10.0.1.3 (text)" "$got" "10.0.1.3 1 2"
expect_eq "unknown pool" "$($KNAT -n "$RTR" -j subscriber show pool nosuch)" "[]"
for bad in "pool" "inside 300.1.1.1" "frob 1"; do
	# shellcheck disable=SC2086  # the words are the arguments
	if $KNAT -n "$RTR" subscriber show $bad 2> "$TMPDIR/err"; then
		fail "subscriber show $bad succeeded"
	else
		rc=$?
	fi
	expect_eq "exit code of 'subscriber show $bad'" "$rc" 2
	grep -q "${bad%% *}" "$TMPDIR/err" || fail "message does not name '${bad%% *}': $(cat "$TMPDIR/err")"
done

step "after a flush: no mappings, blocks cooling, no subscribers"
$KNAT -n "$RTR" mapping flush
$KNAT -n "$RTR" -j stats | /usr/bin/python3 -S -c '
import json, sys
s = json.load(sys.stdin)
p = s["pools"][0]
assert s["mappings"] == 0 and s["mappings_udp"] == 0, s
assert (p["blocks_used"], p["blocks_cooling"], p["busiest"]) == (0, 3, []), p
print("   0 mappings, 3 blocks cooling, no subscriber")' || fail "stats after flush"
expect_eq "subscribers after flush" "$($KNAT -n "$RTR" -j subscriber show)" "[]"
