#!/bin/bash
# make demo: the main job of knat, on Debian's stock kernel, driven by the
# CLI as a user types it. c1 and c2 sit behind r1 and the knat router;
# srv is beyond r2 (the topology of tests/e2e/_lib.sh topo_icmp).
. "$(dirname "$0")/../e2e/_lib.sh"

run() { # run NS CMD...: show the command as typed, then run it
	local ns=$1; shift
	printf '\n%s# %s\n' "${ns%%-*}" "$*"
	ip netns exec "$ns" "$@"
}

# The CLI as a user has it: on the PATH.
[[ $KNAT == */* ]] && PATH="$(dirname "$KNAT"):$PATH"
topo_icmp
serve "$SRV" tcp 80
ip netns exec "$SRV" $PEER sink 9000 & PIDS+=($!)

step "the router: one outside address, a port forward, the compliance log"
run "$RTR" knat pool add 203.0.113.1 out out0 name isp
run "$RTR" knat forward add tcp 203.0.113.10:8080 to 10.0.1.2:80
ip netns exec "$RTR" knat monitor 2>/dev/null | sed -u 's/^/   log: /' & PIDS+=($!)
sleep 1

step "c1 and c2 ping srv with the same identifier at the same time"
run "$C1" ping -n -e 7 -c 3 -i 0.3 192.0.2.2 &
run "$C2" ping -n -e 7 -c 3 -i 0.3 192.0.2.2
wait %%

step "traceroute from c1 to srv: every hop answers"
run "$C1" traceroute -n -q 1 -N 1 -w 2 -I 192.0.2.2
step "traceroute from srv to the port forward: every hop, no inside address"
serve "$C1" tcp 80
run "$SRV" traceroute -n -q 1 -N 1 -w 2 -T -p 8080 203.0.113.10

step "a TCP transfer from c1 to srv"
run "$C1" $PEER push 192.0.2.2 9000 1000000 30

step "what knat shows"
run "$RTR" knat pool show
run "$RTR" knat mapping show
run "$RTR" knat stats
