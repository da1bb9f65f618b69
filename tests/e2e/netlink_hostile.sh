#!/bin/bash
# A hostile control plane: random generic netlink messages at the knat
# family (genl_fuzz.py) from root, from an unprivileged user and from a
# user namespace that does not own the network namespace; one namespace
# cannot see or change another's state; every dump's bytes are clean
# (no uninitialised padding, no kernel address); a namespace the fuzzer
# left in any state goes away cleanly; the router keeps translating.
. "$(dirname "$0")/_lib.sh"
# A copy that any user can read (the tree may sit in root's home).
FUZZ_DIR=$(mktemp -d)
cp "$(dirname "$0")/genl_fuzz.py" "$(dirname "$0")/../../include/uapi/linux/knat.h" "$FUZZ_DIR"
chmod -R a+rX "$FUZZ_DIR"
FUZZ=(/usr/bin/python3 -S "$FUZZ_DIR/genl_fuzz.py" --uapi "$FUZZ_DIR/knat.h")
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
topo_nat
FZ=fz-$SFX
ns_add "$FZ"
ip -n "$FZ" link add dummy0 type dummy
ip -n "$FZ" link set dummy0 up
ip -n "$FZ" addr add 203.0.113.1/24 dev dummy0

$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0 name isp
in_ns "$C1" ping -c 1 -W 3 198.51.100.2 >/dev/null || fail "no NAT before the fuzz"

step "random messages as root, in a namespace of their own"
in_ns "$FZ" "${FUZZ[@]}" --seed 1 --count 2000 || fail "root fuzz (seed 1)"
$KNAT -n "$FZ" stats >/dev/null || fail "knat stats after the fuzz"

step "random messages from an unprivileged user: all refused"
in_ns "$RTR" "${NOBODY[@]}" "${FUZZ[@]}" --seed 2 --count 400 --unprivileged ||
	fail "unprivileged fuzz"

step "from a user namespace that does not own the network namespace"
in_ns "$RTR" unshare --user --map-root-user "${FUZZ[@]}" --seed 3 --count 400 --unprivileged ||
	fail "foreign user namespace fuzz"

step "a namespace of one's own sees and changes only itself"
pools() { /usr/bin/python3 -S -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)))'; }
# Taken first: a CLI that fails would list no pool either.
out=$(unshare --user --map-root-user --net "$KNAT" -j pool show) ||
	fail "knat -j pool show in a namespace of one's own failed (exit $?)"
expect_eq "pools seen from another namespace" "$(pools <<< "$out")" ""
out=$(unshare --user --map-root-user --net "$KNAT" pool del isp 2>&1) &&
	fail "another namespace deleted pool isp: $out"
grep -q "no such pool" <<< "$out" || fail "no refusal: $out"
expect_eq "pools of the router" "$($KNAT -n "$RTR" -j pool show | pools)" isp

step "the router still translates"
in_ns "$C1" ping -c 1 -W 3 198.51.100.2 >/dev/null || fail "no NAT after the fuzz"

step "every dump, byte by byte: no uninitialised padding, no kernel address"
$KNAT -n "$RTR" forward add udp 198.51.100.7:53 to 10.0.1.3:53
$KNAT -n "$RTR" static add 198.51.100.9 10.0.1.9
in_ns "$RTR" "${FUZZ[@]}" --dumps || fail "a dump shows what it must not"

step "the fuzzed namespace goes away, whatever it was left with"
$KNAT -n "$FZ" pool show
ip netns del "$FZ"
sleep 1
in_ns "$C1" ping -c 1 -W 3 198.51.100.2 >/dev/null || fail "no NAT after the teardown"
rm -rf "$FUZZ_DIR"
echo ok
