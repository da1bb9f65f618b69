#!/bin/bash
# A full pool and a subscriber at its limit are clean, counted refusals;
# the ports already handed out keep working; once mappings expire and
# their blocks have cooled, the hosts refused before are served.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.5 out out0 ports 2000-2127 block 64
$KNAT -n "$RTR" config set max-blocks-per-subscriber 1
serve "$SRV" udp 7000
# The compliance log: every block hand-out and return, and the refusals;
# beside it the same events read byte by byte (genl_fuzz.py --events).
EV=/tmp/events.$$
$KNAT -n "$RTR" -j monitor > "$EV" 2> "$EV.err" &
PIDS+=($!)
ip netns exec "$RTR" /usr/bin/python3 -S "$(dirname "$0")/genl_fuzz.py" \
	--events > "$EV.raw" 2> "$EV.raw.err" &
RAW=$!
PIDS+=("$RAW")
for _ in $(seq 100); do
	grep -q listening "$EV.err" && grep -q listening "$EV.raw.err" && break
	sleep 0.1
done
grep -q listening "$EV.err" || fail "monitor did not start: $(cat "$EV.err")"
grep -q listening "$EV.raw.err" || fail "event reader did not start: $(cat "$EV.raw.err")"

step "c1: 64 flows fill its one block, the 65th is refused"
n=$(in_ns "$C1" $PEER burst udp 198.51.100.2 7000 10000 65)
expect_eq "answered" "$n" 64
expect_eq "subscriber limit drops" "$(stat "$RTR" drop_subscriber_limit)" 1
step "c2 takes the last block; a third host finds the pool full"
n=$(in_ns "$C2" $PEER burst udp 198.51.100.2 7000 10000 64)
expect_eq "answered" "$n" 64
ip -n "$C2" addr add 10.0.1.4/24 dev eth0
# Told at once (3/13, "no route to host"), not left to time out.
out=$(ask "$C2" udp 198.51.100.2 7000 10.0.1.4:9000 5 2>&1) && fail "pool full: answered"
grep -q "No route to host" <<< "$out" || fail "no 3/13 for the refused flow: $out"
echo "   $out"
[ "$(stat "$RTR" icmp_sent)" -ge 1 ] || fail "icmp_sent not counted"
expect_eq "pool full drops" "$(stat "$RTR" drop_pool_full)" 1
$KNAT -n "$RTR" pool show
out=$($KNAT -n "$RTR" -j pool show)
grep -q '"blocks_used":2' <<< "$out" || fail "blocks_used: $out"
step "existing mappings still work"
ask "$C1" udp 198.51.100.2 7000 10000 >/dev/null || fail "c1 lost its mapping"

step "a refused flood: each refusal logged or counted as suppressed"
in_ns "$C2" $PEER flood 10.0.1.4 198.51.100.2 7000 20000 40 >/dev/null

step "flush: both blocks return"
# They cool for 3 s (from the moment they are freed) before reuse.
$KNAT -n "$RTR" config set cooling 3
$KNAT -n "$RTR" mapping flush
for _ in $(seq 50); do
	[ "$(grep -c block-free "$EV")" -ge 2 ] && break
	sleep 0.1
done
cat "$EV"
/usr/bin/python3 -S - "$EV" "$(stat "$RTR" drop_pool_full)" \
	"$(stat "$RTR" drop_subscriber_limit)" \
	"$(stat "$RTR" events_suppressed)" <<'PY' || fail "event log"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
full, limit, supp = map(int, sys.argv[2:5])
kind = lambda k: [e for e in ev if e["event"] == k]
alloc, free = kind("block-alloc"), kind("block-free")
blocks = lambda es: sorted((e["inside_addr"], e["outside_addr"], e["port_lo"],
                            e["port_hi"]) for e in es)
assert blocks(alloc) == blocks(free), (alloc, free)
assert sorted(b[0] for b in blocks(alloc)) == ["10.0.1.2", "10.0.1.3"], alloc
for b in blocks(alloc):
    assert b[1] == "203.0.113.5" and b[3] - b[2] == 63 and b[2] in (2000, 2064), b
assert len(kind("subscriber-limit")) == 1, "one limit refusal logged"
pf = kind("pool-full")
assert all(e["inside_addr"] == "10.0.1.4" and e["proto"] == "udp" for e in pf)
# Rate-limited: what was not logged was counted. 10 a second: a window
# of 1 s holds at most the end of one interval and the start of the next
# (a bound in events, not in time: a slow guest spreads the flood out).
assert len(pf) + supp == full, (len(pf), supp, full)
ts = sorted(e["time_ns"] for e in pf)
worst = max(sum(1 for u in ts if t <= u < t + 10**9) for t in ts)
assert worst <= 20, (worst, ts)
print("   %d blocks logged out and back; %d pool-full logged (at most %d in"
      " a second), %d suppressed" % (len(alloc), len(pf), worst, supp))
PY
kill -TERM $RAW
rc=0; wait $RAW || rc=$?
sed 's/^/   raw /' "$EV.raw"
expect_eq "event reader exit (0: every byte clean)" "$rc" 0
expect_eq "events read raw" "$(awk '/^events:/ { print $2 }' "$EV.raw")" "$(wc -l < "$EV")"

step "recovery: cooled blocks serve the host refused before"
# served NS SRC:PORT SECS: asks until a flow from SRC gets through, for
# SECS seconds at most. By the clock, not by a count of tries: a refusal
# answered at once with a 3/13 takes a fraction of a second, one the
# ICMP rate limit leaves unanswered takes the whole timeout.
served() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		ask "$1" udp 198.51.100.2 7000 "$2" 1 >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}
served "$C2" 10.0.1.4:9001 30 || fail "10.0.1.4 not served after the blocks cooled"
echo "   10.0.1.4 served from a cooled block"
step "recovery: c1's mappings expire, their block cools, c2 is served"
# c1's block comes back 2 s after its last packet plus 20 s of cooling:
# long enough to see c2 refused first (the burst alone waits 5 s after
# its last answer; a KASAN guest is slow).
$KNAT -n "$RTR" config set timeout-udp 2 cooling 20
n=$(in_ns "$C1" $PEER burst udp 198.51.100.2 7000 11000 64)
expect_eq "c1 answered (the last free block)" "$n" 64
t0=$SECONDS
out=$(ask "$C2" udp 198.51.100.2 7000 12000 1 2>&1) && fail "pool full: c2 answered"
# The block is back 22 s after c1's last packet at the earliest (2 s of
# timeout, the expiry scan, 20 s of cooling); 5 s of that went by above.
served "$C2" 12001 60 || fail "c2 not served within 60 s of c1's mappings expiring"
echo "   c2 served once c1's block came back, $((SECONDS - t0)) s after it was refused"
# Not before the block had cooled: about 17 s from here at the earliest.
[ $((SECONDS - t0)) -ge 12 ] || fail "c2 served $((SECONDS - t0)) s after its refusal: the block did not cool"
