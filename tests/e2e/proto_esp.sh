#!/bin/bash
# IPsec ESP (tunnel mode, static keys, no NAT-T) through knat (issue 17):
# c1's 10.9.1.1 reaches the server's 10.9.2.1 through an SA pair, the
# server knowing c1 by the pool's address. ESP has no ports: its mapping
# is (ESP, inside address, remote) <-> (ESP, outside address, remote).
. "$(dirname "$0")/_lib.sh"
topo_nat
$KNAT -n "$RTR" pool add 203.0.113.1 from 10.0.1.0/24 block 64
cap=/tmp/proto_esp.$$.pcap
enc=0x00112233445566778899aabbccddeeff
auth=0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# sa NS OUT-SRC OUT-DST IN-SRC IN-DST LOCAL-NET REMOTE-NET SPI-OUT SPI-IN:
# both SAs and policies of one end (SPI 0x100 toward the server, 0x200
# back).
sa() {
	local spi_out=$8 spi_in=$9
	ip -n "$1" -batch - <<-EOF2
	xfrm state add src $2 dst $3 proto esp spi $spi_out mode tunnel enc cbc(aes) $enc auth hmac(sha256) $auth
	xfrm state add src $4 dst $5 proto esp spi $spi_in mode tunnel enc cbc(aes) $enc auth hmac(sha256) $auth
	xfrm policy add src $6 dst $7 dir out tmpl src $2 dst $3 proto esp mode tunnel
	xfrm policy add src $7 dst $6 dir in tmpl src $4 dst $5 proto esp mode tunnel
	EOF2
}
ip -n "$C1" link add lan type dummy
ip -n "$C1" addr add 10.9.1.1/24 dev lan
ip -n "$C1" link set lan up
ip -n "$C1" route add 10.9.2.0/24 via 10.0.1.1 src 10.9.1.1
ip -n "$SRV" link add lan type dummy
ip -n "$SRV" addr add 10.9.2.1/24 dev lan
ip -n "$SRV" link set lan up
ip -n "$SRV" route add 10.9.1.0/24 via 198.51.100.1 src 10.9.2.1
sa "$C1" 10.0.1.2 198.51.100.2 198.51.100.2 10.0.1.2 10.9.1.0/24 10.9.2.0/24 0x100 0x200
sa "$SRV" 198.51.100.2 203.0.113.1 203.0.113.1 198.51.100.2 10.9.2.0/24 10.9.1.0/24 0x200 0x100

step "c1's 10.9.1.1 pings the server's 10.9.2.1 through ESP"
capture "$SRV" eth0 "$cap"
in_ns "$C1" ping -c 5 -i 0.2 -W 2 -I 10.9.1.1 10.9.2.1 || fail "no ping through ESP"
capture_stop
n=$(tcpdump -r "$cap" -n "esp and src 203.0.113.1" 2>/dev/null | wc -l)
[ "$n" -ge 5 ] || fail "ESP from the pool's address: $n packets, want 5 or more"
n=$(tcpdump -r "$cap" -n "esp and dst 203.0.113.1" 2>/dev/null | wc -l)
[ "$n" -ge 5 ] || fail "ESP back to the pool's address: $n packets, want 5 or more"
$PCAP clean --min 10 "$cap" 10.0.1.0/24
rm -f "$cap" "$cap.log"
m=$($KNAT -n "$RTR" mapping show) || fail "mapping show failed"
echo "$m"
grep -q "^esp " <<< "$m" || fail "no ESP mapping"
