#!/bin/bash
# Root of a user namespace with a network namespace of its own may
# configure knat there, but not make the kernel allocate without bound:
# max-addresses (pool addresses and 1:1 entries, default 1,024) and
# max-mappings (dynamic mappings and forward ports, default 262,144) refuse
# clearly and count, and only the host's administrator may raise them.
# The host goes on translating meanwhile. Then the mapping limit on the
# packet path: refused flows are dropped, counted and told (3/13).
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0
serve "$SRV" udp 7000
ask "$C1" udp 198.51.100.2 7000 5000 > /dev/null || fail "no NAT before"

step "a user namespace's root hits each limit and is refused cleanly"
INNER=$(mktemp)
chmod a+r "$INNER"
cat > "$INNER" <<'EOF'
set -u
# check_err WANT_EXIT WANT_TEXT ARGS...: knat ARGS fails so, saying so.
check_err() {
	local want=$1 text=$2 rc=0 out
	shift 2
	out=$($KNAT "$@" 2>&1) || rc=$?
	echo "   knat $*: exit $rc: $out"
	[ "$rc" = "$want" ] && grep -qF "$text" <<< "$out" || echo "FAIL: knat $*"
}
$KNAT config show | grep -E "max-(mappings|addresses)"
check_err 1 "max-addresses" pool add 198.18.0.0/21 from 10.0.0.0/8
check_err 1 "max-addresses" pool add 198.18.0.0/22,198.18.8.1 from 10.0.0.0/8
$KNAT pool add 198.18.0.0/22 from 10.0.0.0/8 || echo "FAIL: 1,024 addresses refused"
check_err 1 "max-addresses" static add 198.19.0.1 10.9.9.9
check_err 1 "only the initial user namespace's administrator" config set max-addresses 1025
check_err 1 "only the initial user namespace's administrator" config set max-mappings 262145
$KNAT config set max-mappings 1000 || echo "FAIL: lowering refused"
check_err 1 "max-mappings" forward add udp 198.20.0.1:1000-2000 to 10.9.9.9:1000-2000
$KNAT forward add udp 198.20.0.1:1000-1999 to 10.9.9.9:1000-1999 ||
	echo "FAIL: a forward within the limit refused"
check_err 1 "max-mappings" forward add udp 198.20.0.2:1 to 10.9.9.9:1
$KNAT -j stats | grep -o '"limit_refused":[0-9]*'
echo "pools: $($KNAT pool show | grep -c '^pool')"
EOF
out=$(unshare --user --map-root-user --net env KNAT="$KNAT" bash "$INNER" 2>&1) ||
	fail "the user namespace's script failed: $out"
rm -f "$INNER"
echo "$out"
grep -q "^FAIL" <<< "$out" && fail "$(grep "^FAIL" <<< "$out")"
grep -qx '"limit_refused":5' <<< "$out" || fail "limit refusals not counted 5 times"
grep -qx "pools: 1" <<< "$out" || fail "a refused pool was kept"
grep -q "max-mappings *262144" <<< "$out" || fail "default max-mappings not shown"
grep -q "max-addresses *1024" <<< "$out" || fail "default max-addresses not shown"
out=$(ask "$C1" udp 198.51.100.2 7000 5001) || fail "the host's NAT stopped"

step "the host's administrator may raise a limit"
$KNAT -n "$RTR" config set max-addresses 2048 max-mappings 300000
out=$($KNAT -n "$RTR" config show)
grep -q "max-addresses *2048" <<< "$out" || fail "raised max-addresses not shown: $out"

step "max-mappings on the packet path: 5 allowed, 10 flows, 5 refused and counted"
$KNAT -n "$RTR" mapping flush
$KNAT -n "$RTR" config set max-mappings 5
limit=$(stat "$RTR" drop_mapping_limit)
n=$(in_ns "$C1" $PEER burst udp 198.51.100.2 7000 30000 10)
expect_eq "flows answered" "$n" 5
expect_eq "mappings" "$(stat "$RTR" mappings)" 5
expect_eq "drop_mapping_limit" "$(($(stat "$RTR" drop_mapping_limit) - limit))" 5
