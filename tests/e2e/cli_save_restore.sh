#!/bin/bash
# knat save prints the configuration as knat commands; knat -f FILE and
# knat restore < FILE apply such a file all or nothing: a wrong line
# anywhere applies nothing (exit 2), a line the kernel refuses undoes the
# lines before it (exit 1), and the message names the line.
. "$(dirname "$0")/_lib.sh"
topo_nat
A=/tmp/save.$$
$KNAT -n "$RTR" config set timeout-udp 100 filtering apdf icmp-rate 7
$KNAT -n "$RTR" pool add 203.0.113.0/28,203.0.113.64/30 ports 2000-3999 block 128 out out0 name isp
$KNAT -n "$RTR" masquerade add out out0 from 10.0.2.0/24 ports 10000-19999
$KNAT -n "$RTR" forward add tcp 203.0.113.250:8080-8081 to 10.0.1.2:80-81
$KNAT -n "$RTR" forward add udp 203.0.113.250:53 to 10.0.1.2:53
$KNAT -n "$RTR" static add 203.0.113.200 10.0.1.3

step "save"
$KNAT -n "$RTR" save > "$A"
sed 's/^/   /' "$A"
expect_eq "lines" "$(wc -l < "$A")" 6

# A second router with the same interface names.
new_router() {
	ns_add "$1"
	ip -n "$1" link add out0 type dummy
	ip -n "$1" addr add 198.51.100.1/24 dev out0
	ip -n "$1" link set out0 up
}
R2N=rtr2-$SFX R3N=rtr3-$SFX
new_router "$R2N"
new_router "$R3N"

step "restore with -f, and from standard input: the same save"
$KNAT -n "$R2N" -f "$A"
expect_eq "save after -f" "$($KNAT -n "$R2N" save)" "$(cat "$A")"
$KNAT -n "$R3N" restore < "$A"
expect_eq "save after restore" "$($KNAT -n "$R3N" save)" "$(cat "$A")"

step "a wrong line: nothing applied, exit 2, the line named"
fresh=rtr4-$SFX
new_router "$fresh"
before=$($KNAT -n "$fresh" save)
# refused_file FILE EXIT PATTERN: knat -f FILE fails so, names the line
# (PATTERN), and the configuration is as it was.
refused_file() {
	local rc=0 out after
	out=$($KNAT -n "$fresh" -f "$1" 2>&1) || rc=$?
	echo "   $out" | tr '\n' ' '; echo
	expect_eq "exit" "$rc" "$2"
	grep -q "$3" <<< "$out" || fail "line not named: $out"
	after=$($KNAT -n "$fresh" save) || fail "save after a refusal failed"
	expect_eq "unchanged" "$after" "$before"
}
printf '%s\n' "# comment" "config set timeout-udp 50" "" \
	"pool add 203.0.113.0/28 ports 2000-39x9 name p" > "$A.bad"
refused_file "$A.bad" 2 "$A.bad:4:"
printf 'mapping flush\n' > "$A.bad"
rc=0; $KNAT -n "$fresh" -f "$A.bad" 2>/dev/null || rc=$?
expect_eq "exit for a command that is not a configuration" "$rc" 2

step "a refused line: the lines before it undone, exit 1, the line named"
printf '%s\n' "config set timeout-udp 50 cooling 5" \
	"pool add 203.0.113.0/28 out out0 name p1" \
	"forward add tcp 203.0.113.250:80 to 10.0.1.2:80" \
	"forward add tcp 203.0.113.250:80 to 10.0.1.3:80" \
	"static add 203.0.113.200 10.0.1.3" > "$A.refused"
refused_file "$A.refused" 1 "$A.refused:4: refused"
rm -f "$A" "$A.bad" "$A.refused"
