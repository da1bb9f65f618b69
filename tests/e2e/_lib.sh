# shellcheck shell=bash
# Helpers for end-to-end scenarios; sourced, never run. A scenario runs
# in the guest as root and exits 0 (pass), 4 (skip: last line says why)
# or anything else (fail). Namespaces get a unique suffix and are
# removed on exit. make check provides every tool, kernel feature and
# CPU a scenario uses (tests/vm/deps.sh, tests/vm/kernel.config, two
# vCPUs): one missing is a broken setup and fails, never skips.
#
# pipefail: a pipeline fails when any part of it does, so a CLI that
# fails is not a "0" from `$KNAT ... | wc -l` (use lines: a command
# substitution's status is lost in a command's arguments). Never pipe a
# command into something that stops reading early (grep -q, head): the
# writer's SIGPIPE fails the pipeline; take the output first, then grep
# it (<<<).
#
# The standard topology (topo_nat):
#
#   c1 (10.0.1.2) --\                             /-- srv (198.51.100.2)
#                    br-in -- rtr: in0 10.0.1.1    |
#   c2 (10.0.1.3) --/         rtr: out0 198.51.100.1 --/
#
# c1/c2 route via 10.0.1.1; srv has no route back to 10.0.1.0/24, so
# replies only come home if the router translated them. The pool prefix
# 203.0.113.0/24 is routed to the router, as an ISP would.
set -euo pipefail

SFX=${SFX:-$$}
C1=c1-$SFX C2=c2-$SFX RTR=rtr-$SFX SRV=srv-$SFX
KNAT=${KNAT_CLI:-knat}
NS_LIST=()
PIDS=()

cleanup() {
	local ns pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for ns in "${NS_LIST[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

# KNAT_TRACE=1: every command with its start time, into the host's
# .build/check/<flavour>/trace-<scenario> (where the time goes).
if [ -n "${KNAT_TRACE:-}" ] && [ -d /knat-out ]; then
	exec {KNAT_XTRACE_FD}>> "/knat-out/trace-$(basename "$0" .sh)"
	BASH_XTRACEFD=$KNAT_XTRACE_FD
	PS4='+ ${EPOCHREALTIME} '
	set -x
fi

skip() { echo "SKIP: $*"; exit 4; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $* [${SECONDS}s]"; }
need() { command -v "$1" >/dev/null || fail "$1 not installed (tests/vm/deps.sh installs it)"; }

# lines CMD...: how many lines CMD prints. Prints nothing and fails when
# CMD fails, so that `expect_eq WHAT "$(lines CMD)" 0` fails too.
lines() {
	local n
	n=$("$@" | wc -l) || fail "'$*' failed (exit $?)"
	echo "$n"
}

# netns_new NS...: bare namespaces, removed on exit.
netns_new() {
	local ns
	for ns; do
		ip netns add "$ns"
		NS_LIST+=("$ns")
	done
}

ns_add() {
	netns_new "$1"
	ip -n "$1" link set lo up
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

topo_nat() {
	local ns
	# Batched: a process costs a lot in a TCG guest.
	netns_new "$C1" "$C2" "$RTR" "$SRV"
	ip -batch - <<-EOF
	link add eth0 netns $C1 type veth peer name c1p netns $RTR
	link add eth0 netns $C2 type veth peer name c2p netns $RTR
	link add out0 netns $RTR type veth peer name eth0 netns $SRV
	EOF
	ip -n "$RTR" -batch - <<-EOF
	link set lo up
	link add br-in type bridge
	link set br-in up
	link set c1p master br-in
	link set c2p master br-in
	link set c1p up
	link set c2p up
	link set out0 up
	addr add 10.0.1.1/24 dev br-in
	addr add 198.51.100.1/24 dev out0
	EOF
	for ns in "$C1:10.0.1.2" "$C2:10.0.1.3"; do
		ip -n "${ns%%:*}" -batch - <<-EOF
		link set lo up
		link set eth0 up
		addr add ${ns#*:}/24 dev eth0
		route add default via 10.0.1.1
		EOF
	done
	ip -n "$SRV" -batch - <<-EOF
	link set lo up
	link set eth0 up
	addr add 198.51.100.2/24 dev eth0
	route add 203.0.113.0/24 via 198.51.100.1
	EOF
	in_ns "$RTR" sysctl -qw net.ipv4.ip_forward=1
}

# -S: no site-packages (not needed), a third less start-up time.
PEER="/usr/bin/python3 -S $(dirname "${BASH_SOURCE[0]}")/peer.py"

# serve NS PROTO PORT[,PORT...] [PROTO PORTS]...: peers answering with
# what they see (PROTO udp, tcp, udplite, sctp, dccp), until exit; one
# process per protocol, all started before waiting for any (a process
# takes seconds to start under TCG). Each says it listens on every port
# by a file of its own (ss lists no SCTP, DCCP or UDP-Lite sockets
# without their diag modules), and a process that dies says nothing.
SERVE_SEQ=0
serve() {
	local ns=$1 f ok files=()
	shift
	local specs=("$*")
	while [ $# -ge 2 ]; do
		f=/tmp/serve.$$.$((SERVE_SEQ += 1))
		rm -f "$f"
		files+=("$f")
		PEER_READY=$f ip netns exec "$ns" $PEER serve "$1" "$2" &
		PIDS+=($!)
		shift 2
	done
	for _ in $(seq 600); do
		ok=1
		for f in "${files[@]}"; do
			[ -e "$f" ] || ok=0
		done
		if [ $ok = 1 ]; then
			rm -f "${files[@]}"
			return 0
		fi
		sleep 0.1
	done
	rm -f "${files[@]}"
	fail "servers on $ns (${specs[*]}) did not start"
}

# serve_sink NS PORT: a TCP sink (peer.py sink) until exit.
serve_sink() {
	ip netns exec "$1" $PEER sink "$2" &
	PIDS+=($!)
	for _ in $(seq 100); do
		[ -n "$(ip netns exec "$1" ss -H -lnt "sport = :$2")" ] && return 0
		sleep 0.1
	done
	fail "sink on $1 tcp/$2 did not start"
}

# ask NS PROTO DST DPORT SPORT: prints "ADDR:PORT" the server saw.
ask() {
	ip netns exec "$1" $PEER ask "$2" "$3" "$4" "$5" "${6:-3}"
}

# stats_json NS: knat -j stats, again if its subscriber dump was
# disturbed (exit 3: a resize, or the entry it was to go on from expired).
stats_json() {
	local j rc
	for _ in 1 2 3 4 5; do
		rc=0
		j=$($KNAT -n "$1" -j stats) || rc=$?
		[ "$rc" = 3 ] || break
	done
	[ "$rc" = 0 ] || fail "knat -n $1 -j stats failed (exit $rc)"
	echo "$j"
}

# stat NS NAME: one counter of knat stats. (Not with python: it takes
# seconds to start in a TCG guest; counter names are unique in the JSON.)
# Both print nothing and fail when the CLI fails.
stat() {
	local j v
	j=$(stats_json "$1") || exit 1
	v=$(grep -o "\"$2\":[0-9]*" <<< "$j") || fail "no counter $2 in knat -j stats"
	v=${v%%$'\n'*}
	echo "${v#*:}"
}

# drops NS: all of knat's drop counters, summed.
drops() {
	local j
	j=$(stats_json "$1") || exit 1
	{ grep -o '"drop_[a-z_]*":[0-9]*' <<< "$j" || true; } |
		awk -F: '{ n += $2 } END { print n + 0 }'
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	echo "   $1: $2"
}

# expect_fail CMD...: CMD must exit non-zero.
expect_fail() {
	if "$@"; then fail "expected failure: $*"; fi
}

# The ICMP topology (topo_icmp): plain Linux routers r1 and r2 around
# the knat router, so that errors come from routers on both sides.
#
#   c1 10.0.1.2 --\
#                  br0 r1 10.0.1.1 | 10.0.0.2 -- 10.0.0.1 in0 rtr out0 198.51.100.1
#   c2 10.0.1.3 --/        -- 198.51.100.2 r2 192.0.2.1 -- 192.0.2.2 srv
#
# r2 routes 203.0.113.0/24 to rtr and knows nothing of 10.0.0.0/8: an
# untranslated inside address gets nowhere. The kernel's own ICMP rate
# limit is off everywhere, so every probe is answered.
R1=r1-$SFX R2=r2-$SFX
topo_icmp() {
	# Batched: a process costs a lot in a TCG guest.
	netns_new "$C1" "$C2" "$R1" "$RTR" "$R2" "$SRV"
	ip -batch - <<-EOF
	link add c1p netns $R1 type veth peer name eth0 netns $C1
	link add c2p netns $R1 type veth peer name eth0 netns $C2
	link add up0 netns $R1 type veth peer name in0 netns $RTR
	link add out0 netns $RTR type veth peer name down0 netns $R2
	link add up0 netns $R2 type veth peer name eth0 netns $SRV
	EOF
	ns_setup "$C1" "addr add 10.0.1.2/24 dev eth0" "route add default via 10.0.1.1"
	ns_setup "$C2" "addr add 10.0.1.3/24 dev eth0" "route add default via 10.0.1.1"
	ns_setup "$R1" "link add br0 type bridge" "link set br0 up" \
		"link set c1p master br0" "link set c2p master br0" \
		"addr add 10.0.1.1/24 dev br0" "addr add 10.0.0.2/30 dev up0" \
		"route add default via 10.0.0.1"
	ns_setup "$RTR" "addr add 10.0.0.1/30 dev in0" \
		"addr add 198.51.100.1/30 dev out0" \
		"route add 10.0.1.0/24 via 10.0.0.2" \
		"route add default via 198.51.100.2"
	ns_setup "$R2" "addr add 198.51.100.2/30 dev down0" \
		"addr add 192.0.2.1/24 dev up0" \
		"route add 203.0.113.0/24 via 198.51.100.1"
	ns_setup "$SRV" "addr add 192.0.2.2/24 dev eth0" "route add default via 192.0.2.1"
}

# ns_setup NS IP-COMMAND...: brings every link up, runs the ip commands,
# turns the kernel's ICMP rate limit off, forwarding on, and transmit
# checksum offload off (captures then verify checksums on the wire).
ns_setup() {
	local ns=$1 devs d
	shift
	devs=$(ip -n "$ns" -o link show |
		awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2 }')
	{
		echo "link set lo up"
		for d in $devs; do echo "link set $d up"; done
		printf '%s\n' "$@"
	} | ip -n "$ns" -batch -
	# shellcheck disable=SC2016,SC2086  # $d is sh's; $devs is a word list
	ip netns exec "$ns" sh -c '
		sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.ip_forward=1
		for d; do ethtool -K "$d" tx off >/dev/null; done' sh $devs
}

# tx_off NS...: checksum offload off on each NS's eth0 (topo_nat's hosts),
# so that the checksums their packets carry are the senders' own, whole:
# a capture then verifies what NAT made of them.
tx_off() {
	local ns
	for ns; do
		in_ns "$ns" ethtool -K eth0 tx off >/dev/null || fail "ethtool on $ns"
	done
}

# capture NS IF FILE [NS IF FILE]...: tcpdump into FILE until
# capture_stop. Several start together (a tcpdump takes seconds to start
# in a TCG guest).
CAPS=()
capture() {
	local logs=() log
	while [ $# -ge 3 ]; do
		ip netns exec "$1" tcpdump -i "$2" -U -n -s 0 -w "$3" 2>"$3.log" &
		CAPS+=($!)
		PIDS+=($!)
		logs+=("$3.log")
		shift 3
	done
	for log in "${logs[@]}"; do
		for _ in $(seq 150); do
			grep -q "listening on" "$log" 2>/dev/null && continue 2
			sleep 0.1
		done
		fail "tcpdump did not start: $(cat "$log")"
	done
}

# capture_stop: ends every capture, its file complete.
capture_stop() {
	local pid
	sleep 1	# the last packets on their way through the stack
	for pid in "${CAPS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
	for pid in "${CAPS[@]}"; do wait "$pid" 2>/dev/null || true; done
	CAPS=()
}

# untranslated_now NS IF FROM-ADDR INSIDE-ADDR: for 2 s on NS's IF, no UDP
# packet comes from FROM-ADDR (an outside address knat no longer owns)
# and some come untranslated from INSIDE-ADDR (so traffic did flow).
untranslated_now() {
	local f=/tmp/untranslated.$$ old raw
	sleep 0.5	# packets already past the hook when knat let go
	capture "$1" "$2" "$f"
	sleep 2
	capture_stop
	old=$(tcpdump -r "$f" -n "udp and src $3" 2>/dev/null | wc -l) ||
		fail "tcpdump -r $f failed"
	raw=$(tcpdump -r "$f" -n "udp and src $4" 2>/dev/null | wc -l) ||
		fail "tcpdump -r $f failed"
	rm -f "$f" "$f.log"
	echo "   in 2 s: $old packets from $3, $raw untranslated from $4"
	expect_eq "packets still translated" "$old" 0
	[ "$raw" -gt 0 ] || fail "the traffic stopped: the test proves nothing"
}

# shellcheck disable=SC2034  # for the scenarios
PCAP="/usr/bin/python3 -S $(dirname "${BASH_SOURCE[0]}")/pcap_check.py"

# hops NS TRACEROUTE-ARGS...: the address of each hop, one line each
# ("*" for a silent one); the last line is the destination's if reached.
hops() {
	local ns=$1; shift
	ip netns exec "$ns" traceroute -n -q 1 -N 1 -w 3 -m 8 "$@" |
		awk 'NR > 1 { print $2 }'
}
