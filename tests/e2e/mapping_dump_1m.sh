#!/bin/bash
# A million mappings: the netlink dump streams every one exactly once
# (a resumable cursor, many messages), filters work at that size, and the
# whole set goes away again. Forwards make the mappings: 16 forwards of
# 65535 ports, each port a permanent mapping in the same table as
# dynamic ones. Dumps abandoned half way leave nothing behind (kmemleak
# runs after every scenario has).
. "$(dirname "$0")/_lib.sh"
ns_add "$RTR"
N=0

# knat_mem: bytes in knat_map's slabs and in vmalloc'd hash bucket arrays
# (rhashtable's). SLUB may merge knat_map with caches of the same size,
# and other scenarios run meanwhile: only the growth over 1 M mappings
# counts, where their share is noise of < 1 %.
knat_mem() {
	local d=/sys/kernel/slab/knat_map slabs order buckets
	read -r slabs _ < $d/slabs
	order=$(< $d/order)
	buckets=$(awk '$3 ~ /^bucket_table_alloc/ { n += $2 } END { print n + 0 }' \
		/proc/vmallocinfo)
	echo $((slabs * (4096 << order) + buckets))
}
mem0=$(knat_mem)
t0=$SECONDS

# dump FILE ARGS...: `knat -n RTR ARGS` into FILE. A dump that met a resize
# of the table (the walk starts over, entries may repeat: exit 3, which the
# kernel's NLM_F_DUMP_INTR makes the CLI say) is taken again, up to 5 times,
# after a pause: the kernel stops a flagged dump at once, and the growth of
# a million-entry table (a rehash in the background) takes a while.
dump() {
	local file=$1 try rc
	shift
	for try in 1 2 3 4 5; do
		rc=0
		$KNAT -n "$RTR" "$@" > "$file" || rc=$?
		[ "$rc" = 3 ] || break
		echo "   dump $try met a table resize (exit 3): again in $((try * 5)) s"
		sleep $((try * 5))
	done
	[ "$rc" = 0 ] || fail "knat $* failed (exit $rc)"
}

# Above the namespace's default max-mappings (262,144): the host may.
$KNAT -n "$RTR" config set max-mappings 1100000
step "16 forwards x 65535 ports"
for a in 1 2 3 4 5 6 7 8; do
	for proto in tcp udp; do
		$KNAT -n "$RTR" forward add $proto "203.0.113.$a:1-65535" \
			to "10.0.$a.2:1-65535"
		N=$((N + 65535))
	done
done
echo "   $N mappings in $((SECONDS - t0)) s"

step "the dump lists each once"
t0=$SECONDS
dump /tmp/maps.$$ mapping show
got=$(wc -l < /tmp/maps.$$)
expect_eq "mappings dumped" "$got" "$N"
# Each (protocol, outside address) must list ports 1..65535 once each:
# count, sum and sum of squares agree only then (exact in awk's doubles).
got=$(awk '{ split($4, a, ":"); k = $1 " " a[1]; n[k]++; s[k] += a[2]
	q[k] += a[2] * a[2] }
	END { for (k in n) if (n[k] != 65535 || s[k] != 2147450880 ||
		q[k] != 93822844764160) bad++; print length(n), bad + 0 }' /tmp/maps.$$)
expect_eq "(protocol, address) sets, and those not exactly ports 1-65535" "$got" "16 0"
echo "   dumped and checked in $((SECONDS - t0)) s"
rm -f /tmp/maps.$$

step "memory: what the benchmark measured (at most 128 bytes a mapping)"
per=$((($(knat_mem) - mem0) / N))
echo "   $per bytes a mapping (slab and hash buckets)"
if [ "${KNAT_FLAVOUR:-}" = kasan ]; then
	echo "   (KASAN's redzones and metadata: not compared)"
else
	[ "$per" -le 128 ] || fail "$per bytes a mapping, more than 128"
	[ "$per" -ge 64 ] || fail "$per bytes a mapping: the measure is broken"
fi

step "dumps abandoned half way: the reader goes, the kernel's cursor with it"
for n in 1000 $((N / 2)); do
	# The CLI dies of SIGPIPE (141) when head has gone: that is the test.
	$KNAT -n "$RTR" mapping show | head -n $n | tail -n 1 ||
		expect_eq "exits of knat, head, tail after $n lines" "${PIPESTATUS[*]}" "141 0 0"
done

step "filters at that size"
dump /tmp/maps.$$ mapping show proto udp outside 203.0.113.5
expect_eq "udp on 203.0.113.5" "$(wc -l < /tmp/maps.$$)" 65535
dump /tmp/maps.$$ mapping show inside 10.0.7.2
expect_eq "inside 10.0.7.2" "$(wc -l < /tmp/maps.$$)" 131070
dump /tmp/maps.$$ -j mapping show proto tcp outside 203.0.113.1
got=$(grep -o '"proto":"tcp"' /tmp/maps.$$ | wc -l)
expect_eq "json tcp on 203.0.113.1" "$got" 65535
rm -f /tmp/maps.$$

step "forward del removes them all"
for a in 1 2 3 4 5 6 7 8; do
	for proto in tcp udp; do
		$KNAT -n "$RTR" forward del $proto "203.0.113.$a:1"
	done
done
dump /tmp/maps.$$ mapping show
expect_eq "left" "$(wc -l < /tmp/maps.$$)" 0
rm -f /tmp/maps.$$
