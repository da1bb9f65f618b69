#!/bin/bash
# Every CLI error path: usage errors exit 2 and name the argument; the
# kernel's refusals exit 1 with its own message; nothing changes on a
# refusal; an unprivileged user is refused; a CLI of another release
# warns, one of another netlink family version fails (exit 1).
. "$(dirname "$0")/_lib.sh"
topo_nat

# check_err EXIT_CODE PATTERN ARGS...: knat -n RTR ARGS fails like that.
check_err() {
	local want=$1 pat=$2 rc=0 out
	shift 2
	out=$($KNAT -n "$RTR" "$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || fail "knat $*: exit $rc, want $want ($out)"
	grep -q -- "$pat" <<< "$out" || fail "knat $*: '$out' lacks '$pat'"
	echo "   knat $* -> $rc: $out"
}

step "usage errors name the argument (exit 2)"
check_err 2 "unknown object 'frob'" frob
check_err 2 "'10.0.0.300' is not an IPv4" pool add 10.0.0.300
check_err 2 "ports: '70000'" pool add 203.0.113.0/24 ports 1024-70000
check_err 2 "ends before it starts" pool add 203.0.113.0/24 ports 3000-2000
check_err 2 "block: '100' is not a power of two" pool add 203.0.113.0/24 block 100
check_err 2 "out: no interface 'nope0'" pool add 203.0.113.0/24 out nope0
check_err 2 "'ports' needs a value" pool add 203.0.113.0/24 ports
check_err 2 "unknown argument 'colour'" pool add 203.0.113.0/24 colour red
check_err 2 "longer than 15" pool add 203.0.113.0/24 out out0 name abcdefghijklmnopq
check_err 2 "unknown key 'timeout-gre'" config set timeout-gre 5
check_err 2 "'fast' is not a number" config set timeout-udp fast
check_err 2 "'xdp' is not eif, adf or apdf" config set filtering xdp
check_err 2 "'frob' is not a protocol" mapping show proto frob
check_err 2 "'256' is not a protocol" mapping show proto 256
check_err 2 "proto 'gre': tcp or udp" forward add gre 203.0.113.1:80 to 10.0.1.2:80
check_err 2 "unknown command 'grow'" pool grow

step "the kernel's refusals (exit 1) with its message"
check_err 1 "say which traffic to translate" pool add 203.0.113.0/24
check_err 1 "no such pool" pool del nosuch
$KNAT -n "$RTR" pool add 203.0.113.0/24 out out0 name isp
check_err 1 "a pool of that name exists" pool add 192.0.2.0/24 out out0 name isp
check_err 1 "already in another pool" pool add 203.0.113.128/25 out out0
check_err 1 "at least one block" pool add 192.0.2.1 out out0 ports 2000-2010
check_err 1 "ip_local_port_range" pool add 198.51.100.1 out out0 ports 30000-40000
ip -n "$RTR" link add dummy9 type dummy
check_err 1 "has no IPv4 address" masquerade add out dummy9
check_err 1 "prefixes of the pool overlap" pool add 192.0.2.0/28,192.0.2.8/29 out out0
$KNAT -n "$RTR" static add 192.0.2.77 10.0.1.77
check_err 1 "a 1:1 entry uses an address of the pool" pool add 192.0.2.64/26 out out0
expect_eq "1:1 entries after refusals" "$($KNAT -n "$RTR" static show | wc -l)" 1
expect_eq "pools after refusals" "$($KNAT -n "$RTR" -j pool show | grep -o '"name"' | wc -l)" 1

step "-n with a namespace that does not exist"
rc=0
$KNAT -n no-such-ns stats 2>/dev/null || rc=$?
expect_eq "exit" "$rc" 1

step "an unprivileged user is refused"
rc=0
out=$(ip netns exec "$RTR" setpriv --reuid=65534 --regid=65534 --clear-groups \
	$KNAT stats 2>&1) || rc=$?
expect_eq "exit" "$rc" 1
grep -q "not permitted" <<< "$out" || fail "unprivileged: $out"
echo "   $out"
# Dumps too: their error must be printed whatever the reply callback is
# given (a regression: libmnl hands that data to the error callback).
for cmd in "mapping show" "subscriber show" "pool show"; do
	rc=0
	# shellcheck disable=SC2086  # the words are the arguments
	out=$(ip netns exec "$RTR" setpriv --reuid=65534 --regid=65534 --clear-groups \
		$KNAT $cmd 2>&1) || rc=$?
	expect_eq "exit of unprivileged '$cmd'" "$rc" 1
	grep -q "not permitted" <<< "$out" || fail "unprivileged $cmd: '$out'"
done

step "knat version: a CLI of another release warns, of another family version fails"
# Built from this tree by make check (tests/e2e/_skew_cli.sh).
SKEW=$(dirname "$(command -v "$KNAT")")/skew
[ -x "$SKEW/knat-release" ] && [ -x "$SKEW/knat-family" ] ||
	fail "no $SKEW/knat-release and knat-family (tests/e2e/_skew_cli.sh builds them)"
mod=$(cat /sys/module/knat/version)
out=$($KNAT -j version) || fail "knat -j version: $out"
cli=$(grep -o '"cli":"[^"]*"' <<< "$out") || fail "no cli: $out"
cli=${cli#*:} cli=${cli//\"/}
genl=$(grep -o '"genl_version":[0-9]*' <<< "$out") || fail "no genl_version: $out"
genl=${genl#*:}
VOUT=/tmp/version.$$
# version_of CLI [-j]: its exit code, then what it printed (stdout, then
# stderr).
version_of() {
	local rc=0
	"$@" version > "$VOUT.out" 2> "$VOUT.err" || rc=$?
	echo "$rc"
	cat "$VOUT.out" "$VOUT.err"
}
expect_eq "another release: exit, output" "$(version_of "$SKEW/knat-release")" "0
knat CLI 0.0.1-skew, module $mod (netlink family version $genl)
knat: warning: CLI 0.0.1-skew and module $mod are different releases"
expect_eq "another family version: exit, output" "$(version_of "$SKEW/knat-family")" "1
knat CLI $cli, module $mod (netlink family version $genl)
knat: warning: the CLI speaks family version $((genl + 1)), the module $genl"
expect_eq "another family version, -j: exit, output" \
	"$(version_of "$SKEW/knat-family" -j)" "1
{\"cli\":\"$cli\",\"module\":\"$mod\",\"genl_version\":$genl,\"cli_genl_version\":$((genl + 1))}
knat: warning: the CLI speaks family version $((genl + 1)), the module $genl"
rm -f "$VOUT".*
