#!/bin/bash
# Faults while traffic flows: c1 streams UDP from 200 ports through the
# router on CPU 1 for the whole scenario while
#   - the configuration changes in a loop on CPU 0 (pools, forwards,
#     timeouts, flushes): every request succeeds, traffic still translated;
#   - the pool with the live mappings is deleted: its mappings go with it
#     and nothing leaves with its address any more;
#   - the router's namespace is deleted with thousands of live mappings:
#     no report, and kmemleak finds nothing of knat's.
# (rmmod while traffic flows is module_reload.sh: it must run alone.)
. "$(dirname "$0")/_lib.sh"
need taskset
topo_nat
# c1's pool; c2's comes and goes in the churn.
$KNAT -n "$RTR" pool add 203.0.113.1 out out0 from 10.0.1.2/32 name pool1
CAP=/tmp/faults.$$
# Not in_ns (a function: $! would be a subshell, not the sender).
ip netns exec "$C1" taskset -c 1 $PEER stream 10.0.1.2 198.51.100.2 7000 20000 200 900 \
	> "$CAP.stream" &
PIDS+=($!)
stream=$!
for _ in $(seq 100); do
	[ "$(stat "$RTR" mappings)" -ge 200 ] && break
	sleep 0.2
done
expect_eq "the stream's mappings" "$(lines $KNAT -n "$RTR" mapping show)" 200
serve "$SRV" udp 9000

step "configuration churn on CPU 0 while the stream runs on CPU 1"
churn() {
	local i
	for i in $(seq 10); do
		$KNAT -n "$RTR" pool add 203.0.113.64/26 from 10.0.1.3/32 name churn
		$KNAT -n "$RTR" forward add udp 203.0.113.100:5000-5099 to 10.0.1.3:5000-5099
		$KNAT -n "$RTR" static add 203.0.113.200 10.0.1.200
		$KNAT -n "$RTR" config set timeout-udp $((100 + i)) max-blocks-per-subscriber $((2 + i % 4))
		if [ $((i % 4)) = 1 ]; then	# mappings in the pool about to go
			in_ns "$C2" $PEER flood 10.0.1.3 198.51.100.2 7000 \
				$((30000 + 10 * i)) 10 >/dev/null
		fi
		$KNAT -n "$RTR" static del 203.0.113.200
		$KNAT -n "$RTR" forward del udp 203.0.113.100:5000
		$KNAT -n "$RTR" pool del churn
		if [ $((i % 4)) = 0 ]; then $KNAT -n "$RTR" mapping flush; fi
	done
}
taskset -c 0 bash -c "set -e; $(declare -f in_ns churn)
	KNAT='$KNAT' RTR='$RTR' C2='$C2' PEER='$PEER' churn" ||
	fail "a configuration request failed"
echo "   10 rounds of pool, forward, static, config changes and flushes"
$KNAT -n "$RTR" config set max-blocks-per-subscriber 16
got=$(ask "$C1" udp 198.51.100.2 9000 4000)
expect_eq "c1 as srv sees it" "${got%:*}" 203.0.113.1

step "pool deletion with live mappings: nothing stale keeps translating"
n=$(lines $KNAT -n "$RTR" mapping show outside 203.0.113.1)
echo "   $n live mappings in pool1"
[ "$n" -ge 150 ] || fail "the stream's mappings are not live"
$KNAT -n "$RTR" pool del pool1
expect_eq "mappings left" "$(lines $KNAT -n "$RTR" mapping show)" 0
untranslated_now "$SRV" eth0 203.0.113.1 10.0.1.2
$KNAT -n "$RTR" pool add 203.0.113.1 out out0 name pool1
got=$(ask "$C1" udp 198.51.100.2 9000 4001)
expect_eq "c1 as srv sees it, pool back" "${got%:*}" 203.0.113.1

step "the router's namespace deleted with live mappings and traffic"
in_ns "$C1" $PEER stream 10.0.1.2 198.51.100.2 7000 30000 2000 0 >/dev/null
n=$(stat "$RTR" mappings)
echo "   $n live mappings"
[ "$n" -ge 2200 ] || fail "too few mappings"
# A packet socket keeps the namespace alive after its name is gone; its
# teardown starts when tcpdump goes, while the stream still flows.
capture "$RTR" br-in "$CAP.rtr"
ip netns del "$RTR"
sleep 1
kill -INT "${CAPS[@]}" 2>/dev/null || true
wait "${CAPS[@]}" 2>/dev/null || true
CAPS=()
sleep 2
kill "$stream" 2>/dev/null || true
wait "$stream" 2>/dev/null || true
echo "   stream: $(cat "$CAP.stream") (sent, errors once the router was gone)"
kmemleak=/sys/kernel/debug/kmemleak
if [ -w "$kmemleak" ]; then
	sleep 6	# kmemleak reports objects older than 5 s
	echo scan > "$kmemleak"
	if grep -q knat "$kmemleak"; then
		fail "kmemleak: $(grep -B2 -A20 knat "$kmemleak" | head -40)"
	fi
	echo "   kmemleak: nothing of knat's"
fi
rm -f "$CAP".*
