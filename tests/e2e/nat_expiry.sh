#!/bin/bash
# Mappings expire after their protocol's (here shortened) timeout, TCP
# by its state (RFC 5382): a closed connection gets the transitory timer.
# Neither goes early: both are still there shortly before their timeout
# (counted from before their first packet, so the bound holds however
# slow the guest), and both are gone after it.
. "$(dirname "$0")/_lib.sh"
TIMEOUT=30	# seconds, UDP and TCP transitory
EARLY=22	# check they are there this long after the first packet
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0
$KNAT -n "$RTR" config set timeout-udp $TIMEOUT timeout-tcp-trans $TIMEOUT \
	timeout-tcp-est 600
serve "$SRV" udp 7000 tcp 8000

# usecs: the guest's clock in microseconds (the module's runs with it).
usecs() { echo "${EPOCHREALTIME/./}"; }
# maps: knat mapping show; fails (prints nothing) when the CLI does.
maps() {
	local out
	out=$($KNAT -n "$RTR" mapping show) || fail "knat mapping show failed (exit $?)"
	[ -z "$out" ] || echo "$out"
}

step "a UDP and a closed TCP mapping"
t0=$(usecs)	# no packet of theirs went through before this
ask "$C1" udp 198.51.100.2 7000 5000 >/dev/null || fail "udp"
ask "$C1" tcp 198.51.100.2 8000 5001 >/dev/null || fail "tcp"
m=$(maps)
echo "$m"
expect_eq "mappings" "$(lines maps)" 2
# Nothing else made one: an extra mapping would blur the counts below.
expect_eq "mappings created" "$(stat "$RTR" mappings_created)" 2
grep -q "^tcp .*transitory" <<< "$m" || fail "a closed TCP mapping must be transitory"

step "both still there ${EARLY} s after the first packet (timeout ${TIMEOUT} s)"
wait_us=$((t0 + EARLY * 1000000 - $(usecs)))
if [ "$wait_us" -gt 0 ]; then
	sleep "$((wait_us / 1000000)).$(printf '%06d' $((wait_us % 1000000)))"
fi
m=$(maps)
t1=$(usecs)	# the dump was taken before this
echo "$m"
age=$(((t1 - t0) / 1000000))
# Too late to tell only if the guest took 8 s to run the CLI once.
[ "$age" -lt "$TIMEOUT" ] ||
	fail "the check ran $age s after the first packet, not before the timeout"
grep -q "^udp .*:5000 " <<< "$m" || fail "the UDP mapping went before its timeout ($age s)"
grep -q "^tcp .*:5001 " <<< "$m" || fail "the TCP mapping went before its timeout ($age s)"
expect_eq "mappings created so far" "$(stat "$RTR" mappings_created)" 2
expect_eq "mappings expired so far" "$(stat "$RTR" mappings_expired)" 0
echo "   both there after at most $age s"

step "both gone after their timeout"
for _ in $(seq 120); do
	[ -z "$(maps)" ] && break
	sleep 1
done
expect_eq "mappings" "$(stat "$RTR" mappings)" 0
expect_eq "expired" "$(stat "$RTR" mappings_expired)" 2
m=$(maps)
[ -z "$m" ] || fail "mapping show not empty: $m"
echo "   gone after $((($(usecs) - t0) / 1000000)) s"
