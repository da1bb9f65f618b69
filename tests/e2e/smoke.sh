#!/bin/bash
# Smoke: knat.ko is loaded, its netlink family answers the CLI in the
# initial namespace and in a fresh one, and a plain routed path works
# with knat loaded (knat leaves what it does not own alone).
# Also the scenario the stock Debian kernel runs (what DKMS users get).
. "$(dirname "$0")/_lib.sh"

step "module and family are there"
grep -q '^knat ' /proc/modules || fail "knat not in /proc/modules"
out=$($KNAT version) || fail "knat version: $out"
echo "$out"
mod=$(cat /sys/module/knat/version)
[[ $out == *"module $mod "* ]] || fail "CLI reports '$out', module is $mod"

step "the family works per namespace"
topo_nat
out=$($KNAT -n "$RTR" -j version) || fail "knat -n $RTR version"
[[ $out == *"\"module\":\"$mod\""* ]] || fail "JSON: $out"

step "routed traffic is untouched with knat loaded"
ip -n "$SRV" route add 10.0.1.0/24 via 198.51.100.1
in_ns "$C1" ping -c 2 -W 2 198.51.100.2 >/dev/null || fail "c1 cannot reach srv"
echo "ok"
