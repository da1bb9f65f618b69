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

# state PID: PID's state (R, S, D, Z...), nothing once it is gone (bash
# reaps a child as it ends, keeping its status for wait). One read: the
# file may go between two.
state() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	echo "${s%% *}"
}

# running PID: PID has not ended.
running() { local s; s=$(state "$1"); [ -n "$s" ] && [ "$s" != Z ]; }

# settled PID: PID has ended, or sleeps uninterruptibly (state D: a
# notifier waiting for a lock, under RTNL). Up to 5 s.
settled() {
	for _ in $(seq 100); do
		running "$1" || return 0
		[ "$(state "$1")" = D ] && return 0
		sleep 0.05
	done
	echo "   A's ip addr neither ended nor slept in D within 5 s"
}

# try NAME ADDR-OP ADDR-ARGS...: A's forward add, A's `ip addr ADDR-OP`
# meanwhile (done, or stuck under RTNL), then B's `ip link add NAME` and
# B's knat request. 0: B's both ended while A's operation ran, and A's
# ip addr had ended (had it gone to sleep for something else first, then
# blocked under RTNL once B's were done, B would not have been tested);
# 1: they waited for it; 2: could not tell (B's commands take a fifth of
# a second each in this guest, the forward add two or three seconds).
# Called left of ||, where set -e is off: every failure said here.
try() {
	local name=$1 long addr verdict=0
	shift
	# 65,535 permanent mappings, made under A's lock.
	$KNAT -n "$A" forward add tcp 198.51.100.1:1-65535 to 10.0.1.2:1-65535 &
	long=$!
	sleep 0.5
	running "$long" || verdict=2
	# Under RTNL, the address notifier for A.
	ip -n "$A" addr "$@" &
	addr=$!
	settled "$addr"
	ip -n "$B" link add "$name" type dummy || fail "ip link add $name in $B failed"
	[ $verdict = 0 ] && ! running "$long" && verdict=1
	$KNAT -n "$B" stats > /dev/null || fail "knat stats in $B failed"
	[ $verdict = 0 ] && ! running "$long" && verdict=1
	[ $verdict = 0 ] && running "$addr" && verdict=2
	wait "$long" || fail "forward add failed"
	wait "$addr" || fail "ip addr $* failed"
	$KNAT -n "$A" forward del tcp 198.51.100.1:1 || fail "forward del failed"
	return $verdict
}

# round NAME ADDR-OP ADDR-ARGS...: up to three tries (a try that could
# not tell is undone and made again). Were RTNL or genl_mutex held across
# A's operation, B would wait in every try.
round() {
	local name=$1 op=$2 undo n verdict waited=0
	shift 2
	[ "$op" = add ] && undo=del || undo=add
	for n in 1 2 3; do
		verdict=0
		try "$name$n" "$op" "$@" || verdict=$?
		[ $verdict = 0 ] && return 0
		if [ $verdict = 1 ]; then
			waited=$((waited + 1))
			echo "   try $n: the forward add ended before B's commands"
		else
			echo "   try $n: could not tell (the forward add ended within half a second, or A's ip addr outlasted B's commands)"
		fi
		ip -n "$A" addr "$undo" "$@" || fail "ip addr $undo $* (undoing a try) failed"
	done
	[ $waited = 0 ] && fail "3 tries could not tell: not long enough to test"
	fail "B's ip link add and knat request waited for $A's forward add ($waited of 3 tries; RTNL or genl_mutex held meanwhile)"
}

step "ip link add and knat stats in B during a 65,535-port forward add in A"
round d1 add 10.0.1.1/24 dev lan
step "again, the address going away this time"
round d2 del 10.0.1.1/24 dev lan
# masquerade.sh checks that the work the notifier defers is done.

