#!/bin/bash
# knat-scenario: alone (it counts knat_map's objects, which the others' mappings move)
# A namespace of many one-port forwards goes, and their mappings with it,
# promptly and without holding a CPU. One by one, each removal rebuilt the
# outside-address filter from the forwards left: quadratic in them, all
# of it in cleanup_net() with no reschedule. Root of a user namespace may
# make 262,144 forwards (max-mappings); 60,000 held a CPU here for
# minutes, under the soft-lockup detector's eye.
. "$(dirname "$0")/_lib.sh"
N=${KNAT_FORWARDS_EXIT:-60000}
FWD=fwd-$SFX
ns_add "$FWD"
FILE=/tmp/forwards-exit.$$

# objects: knat_map's objects in use (SLUB: in slabs, less the free ones
# of partial slabs). It may be merged with caches of the same size: only
# a change by thousands counts.
objects() {
	local n
	read -r n _ < /sys/kernel/slab/knat_map/objects
	echo "$n"
}

step "$N one-port forwards to one host, by one restore"
for ((p = 1; p <= N; p++)); do
	echo "forward add udp 198.18.0.1:$p to 10.77.0.2:$p"
done > "$FILE"
before=$(objects)
$KNAT -n "$FWD" restore < "$FILE"
rm -f "$FILE"
expect_eq "forwards listed" "$(lines $KNAT -n "$FWD" forward show)" "$N"
made=$(objects)
[ $((made - before)) -ge $((N * 9 / 10)) ] ||
	fail "$N forwards made $((made - before)) mappings' objects"
echo "   knat_map objects: $before, then $made"

step "the namespace goes: its $N mappings are freed"
t0=$SECONDS
ip netns del "$FWD"
# Up to 5 minutes: the soft-lockup detector speaks after 20 s of a CPU
# held, and the old way took longer here.
for _ in $(seq 1500); do
	[ "$(objects)" -le $((before + N / 10)) ] && break
	sleep 0.2
done
left=$(objects)
echo "   knat_map objects $left, $((SECONDS - t0)) s after the namespace was deleted"
[ "$left" -le $((before + N / 10)) ] ||
	fail "$((left - before)) of the $N mappings still there after $((SECONDS - t0)) s"
