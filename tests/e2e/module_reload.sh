#!/bin/bash
# knat-scenario: alone (it unloads the module the other scenarios use)
# rmmod knat while traffic flows: c1 streams through the router on CPU 1,
# c2's thousands of mappings are live, a second namespace has a pool of
# its own, `knat monitor` listens for events and tcpdump runs on the
# router (so packets in flight are clones). The unload must succeed with
# no kernel report, traffic must go on untranslated at once (no mapping
# outlives the module), and a new insmod must start from nothing.
. "$(dirname "$0")/_lib.sh"
need taskset
# The harness (tests/vm/guest-tests.sh) always says where knat.ko is.
[ -n "${KNAT_KO:-}" ] && [ -e "$KNAT_KO" ] || fail "no knat.ko (KNAT_KO='${KNAT_KO:-}')"
topo_nat
SPARE=spare-$SFX
ns_add "$SPARE"
$KNAT -n "$RTR" pool add 203.0.113.1 out out0
$KNAT -n "$SPARE" pool add 192.0.2.0/28 from 10.9.0.0/16
CAP=/tmp/reload.$$
serve "$SRV" udp 9000
in_ns "$C2" $PEER stream 10.0.1.3 198.51.100.2 7000 30000 2000 0 >/dev/null
# Not in_ns (a function: $! would be a subshell, not the sender).
ip netns exec "$C1" taskset -c 1 $PEER stream 10.0.1.2 198.51.100.2 7000 20000 200 600 \
	> "$CAP.stream" &
PIDS+=($!)
stream=$!
$KNAT -n "$RTR" monitor > "$CAP.monitor" 2>&1 &
PIDS+=($!)
monitor=$!
for _ in $(seq 100); do
	[ "$(stat "$RTR" mappings)" -ge 2200 ] && break
	sleep 0.2
done
n=$(stat "$RTR" mappings)
echo "   $n live mappings"
[ "$n" -ge 2200 ] || fail "the stream's and c2's mappings are not live"
capture "$RTR" out0 "$CAP.rtr"

step "rmmod knat under traffic, with mappings, a monitor and a capture"
out=$(rmmod knat 2>&1) || fail "rmmod: $out"
[ -e /sys/module/knat ] && fail "knat still loaded"
untranslated_now "$SRV" eth0 203.0.113.1 10.0.1.2
kill "$monitor" 2>/dev/null || true
wait "$monitor" 2>/dev/null || true
echo "   the monitor said: $(tail -n 1 "$CAP.monitor")"

step "insmod again: nothing of the old state, translation as new"
out=$(insmod "$KNAT_KO" 2>&1) || fail "insmod: $out"
expect_eq "pools in the router" "$(lines $KNAT -n "$RTR" pool show)" 0
expect_eq "pools in the spare namespace" "$(lines $KNAT -n "$SPARE" pool show)" 0
expect_eq "mappings" "$(lines $KNAT -n "$RTR" mapping show)" 0
$KNAT -n "$RTR" pool add 203.0.113.1 out out0
got=$(ask "$C1" udp 198.51.100.2 9000 4000)
expect_eq "c1 as srv sees it" "${got%:*}" 203.0.113.1
kill "$stream" 2>/dev/null || true
rm -f "$CAP".*
