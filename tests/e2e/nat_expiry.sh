#!/bin/bash
# Mappings expire after their protocol's (here shortened) timeout, TCP
# by its state (RFC 5382): a closed connection gets the transitory timer.
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0
$KNAT -n "$RTR" config set timeout-udp 10 timeout-tcp-trans 10 timeout-tcp-est 600
serve "$SRV" udp 7000 tcp 8000

step "a UDP and a closed TCP mapping"
ask "$C1" udp 198.51.100.2 7000 5000 >/dev/null || fail "udp"
ask "$C1" tcp 198.51.100.2 8000 5001 >/dev/null || fail "tcp"
$KNAT -n "$RTR" mapping show
expect_eq "mappings" "$($KNAT -n "$RTR" mapping show | wc -l)" 2
$KNAT -n "$RTR" mapping show proto tcp | grep -q transitory ||
	fail "a closed TCP mapping must be transitory"

step "both gone a few seconds later"
for _ in $(seq 60); do
	[ -z "$($KNAT -n "$RTR" mapping show)" ] && break
	sleep 0.5
done
expect_eq "mappings" "$(stat "$RTR" mappings)" 0
expect_eq "expired" "$(stat "$RTR" mappings_expired)" 2
[ -z "$($KNAT -n "$RTR" mapping show)" ] || fail "mapping show not empty"
