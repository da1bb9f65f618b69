#!/bin/bash
# A long operation in one namespace stalls no other: neither RTNL (an
# address change in that namespace, whose notifier once waited there for
# the namespace's lock, holding RTNL) nor generic netlink (genl_mutex, once
# held across every knat operation). Root of a user namespace can start
# such an operation at will. Checked by order, not by time: B's
# `ip link add` and B's knat request both end while A's operation runs.
. "$(dirname "$0")/_lib.sh"
A=stall-a-$SFX B=stall-b-$SFX
ns_add "$A"
ns_add "$B"
ip -n "$A" link add lan type dummy
ip -n "$A" link set lan up
$KNAT -n "$A" pool add 203.0.113.0/30 from 10.0.1.0/24
$KNAT -n "$B" pool add 192.0.2.1 from 10.0.0.0/8

# running PID: PID has not ended (not reaped: this shell waits for it).
running() { [ -e "/proc/$1" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat")" != Z ]; }

# round NAME ADDR-ARGS...: A's forward add, A's `ip addr ADDR-ARGS`
# meanwhile, then B's `ip link add NAME` and B's knat request.
round() {
	local name=$1 long addr
	shift
	# 65,535 permanent mappings, made under A's lock: seconds in this guest.
	$KNAT -n "$A" forward add tcp 198.51.100.1:1-65535 to 10.0.1.2:1-65535 &
	long=$!
	sleep 1
	running "$long" || fail "the forward add ended within a second: not long enough to test"
	# Under RTNL, the address notifier for A.
	ip -n "$A" addr "$@" &
	addr=$!
	sleep 0.5
	ip -n "$B" link add "$name" type dummy
	running "$long" || fail "ip link add in $B waited for $A's forward add (RTNL held meanwhile)"
	$KNAT -n "$B" stats > /dev/null
	running "$long" || fail "a knat request in $B waited for $A's forward add (genl_mutex held meanwhile)"
	wait "$long" || fail "forward add failed"
	wait "$addr" || fail "ip addr $* failed"
	$KNAT -n "$A" forward del tcp 198.51.100.1:1
}

step "ip link add and knat stats in B during a 65,535-port forward add in A"
round d1 add 10.0.1.1/24 dev lan
step "again, the address going away this time"
round d2 del 10.0.1.1/24 dev lan
# masquerade.sh checks that the work the notifier defers is done.

