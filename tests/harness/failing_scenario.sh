#!/bin/bash
# Deliberately failing scenario: a server with no route back cannot
# answer, yet the assertion expects the reply. Must turn `make check` red.
. "$(dirname "$0")/../e2e/_lib.sh"
topo_nat
step "expect a reply that cannot come (no NAT configured)"
in_ns "$C1" ping -c 1 -W 1 198.51.100.2 >/dev/null || fail "no reply, as it must be"
