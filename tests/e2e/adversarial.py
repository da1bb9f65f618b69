#!/usr/bin/python3
"""Crafted and malformed packets at the knat router, from both sides.

  adversarial.py C1_NS RTR_NS SRV_NS RTR_IN_MAC RTR_OUT_MAC KNAT_CLI

One process sends raw frames on c1's and srv's eth0 (AF_PACKET sockets
opened inside each namespace) and reads what comes out on the other side.
Every case asserts its own outcome: translated (addresses, ports and every
checksum checked byte by byte), passed untouched, or dropped and counted
under the right knat counter. Every frame that reaches srv, whatever its
checksums, is looked at for an inside address (10.0.0.0/8) in its header
or in the header an ICMP error quotes: one fails the case it arrived in.
Every CLI call must succeed. TAP on stdout; exit 1 if a case failed.
The endpoints' kernels must not answer (the scenario drops their ICMP and
RSTs), so counters move only by what a case sends.
"""
import ctypes
import json
import os
import socket
import struct
import subprocess
import sys
import time

from peer import checksum as csum, l4_fault  # the tests' one checksum code

C1, RTR, SRV, RTR_IN_MAC, RTR_OUT_MAC, KNAT = sys.argv[1:7]
C1_IP, SRV_IP, ROUTER_IN, ROUTER_OUT = "10.0.1.2", "198.51.100.2", "10.0.1.1", "198.51.100.1"
UDP, TCP, ICMP = 17, 6, 1
ETH_P_ALL, ETH_P_IP, PACKET_OUTGOING = 3, 0x0800, 4
A = socket.inet_aton


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def in_netns(name, fn):
    """fn() run inside network namespace @name (for opening sockets)."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    ns = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(ns, 0x40000000):
            raise OSError(ctypes.get_errno(), "setns " + name)
        return fn()
    finally:
        libc.setns(home, 0x40000000)
        os.close(ns)
        os.close(home)


def inside_addrs(b):
    """Inside addresses (10.0.0.0/8) in an IPv4 packet's header and in the
    header an ICMP error quotes, read from the bytes as they came: whatever
    the checksums, the lengths or the header length claim."""
    found = [b[i:i + 4] for i in (12, 16) if len(b) >= i + 4 and b[i] == 10]
    ihl = max((b[0] & 15) * 4, 20) if b else 20
    if len(b) >= ihl + 8 and b[9] == ICMP and b[ihl] in (3, 4, 5, 11, 12):
        q = b[ihl + 8:]
        found += [q[i:i + 4] for i in (12, 16) if len(q) >= i + 4 and q[i] == 10]
    return [socket.inet_ntoa(a) for a in found]


class Port:
    """eth0 of a namespace: send frames, read the IPv4 ones that arrive.
    With watch_leaks, every IPv4 frame that arrives (read or drained) is
    looked at for inside addresses; what it finds piles up in leaks."""

    def __init__(self, ns, gw_mac, watch_leaks=False):
        def opener():
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            s.bind(("eth0", 0))
            return s
        self.s = in_netns(ns, opener)
        my_mac = self.s.getsockname()[4]    # the bound interface's address
        self.hdr = mac(gw_mac) + my_mac + struct.pack("!H", ETH_P_IP)
        self.watch_leaks, self.leaks = watch_leaks, []

    def send(self, ip_packet):
        self.drain()
        self.s.send(self.hdr + ip_packet)

    def arrived(self, timeout):
        """The next frame within @timeout seconds (0: only what is queued):
        an arriving IPv4 packet's bytes, None for any other frame, False
        when none came."""
        if timeout > 0:
            self.s.settimeout(timeout)
        else:
            self.s.setblocking(False)
        try:
            frame, addr = self.s.recvfrom(65535)
        except (socket.timeout, BlockingIOError):
            return False
        finally:
            self.s.setblocking(True)
        if addr[2] == PACKET_OUTGOING or frame[12:14] != b"\x08\x00":
            return None
        ip = frame[14:]
        if self.watch_leaks:
            for a in inside_addrs(ip):
                self.leaks.append("%s in %d bytes: %s" % (a, len(ip), ip[:48].hex()))
        return ip

    def drain(self):
        while self.arrived(0) is not False:
            pass

    def expect(self, match, wait=1.5):
        """The first arriving IPv4 packet match() accepts, or None. A bad IP
        header checksum does not hide a packet: callers check it (valid(),
        out(), back())."""
        end = time.time() + wait
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            b = self.arrived(left)
            if b is False:
                return None
            if b is None or len(b) < 20:
                continue
            p = Pkt(b)
            if match(p):
                return p


class Pkt:
    """An IPv4 packet as it arrived, its fields and checksums."""

    def __init__(self, b):
        self.b = b
        self.ihl = (b[0] & 15) * 4
        self.tot = struct.unpack("!H", b[2:4])[0]
        self.b = b[:self.tot]
        self.ttl, self.proto = b[8], b[9]
        frag = struct.unpack("!H", b[6:8])[0]
        self.offset, self.more = (frag & 0x1fff) * 8, bool(frag & 0x2000)
        self.src, self.dst = socket.inet_ntoa(b[12:16]), socket.inet_ntoa(b[16:20])
        self.l4 = self.b[self.ihl:]
        self.ok_ip = len(b) >= 20 and csum(b[:self.ihl]) == 0
        self.sport = self.dport = None
        if self.proto in (UDP, TCP) and len(self.l4) >= 4:
            self.sport, self.dport = struct.unpack("!HH", self.l4[:4])
        if self.proto == ICMP and len(self.l4) >= 8:
            self.type, self.code = self.l4[0], self.l4[1]
            self.ident = struct.unpack("!H", self.l4[4:6])[0]

    def gather(self, port, wait=1.5):
        """The datagram whose first fragment this is, the rest read from
        @port, joined (a router sends reassembled packets on as the
        fragments they came in)."""
        parts, end = {0: self.l4}, None
        if not self.more:
            return self
        while True:
            p = port.expect(lambda p: p.proto == self.proto and p.src == self.src
                            and p.b[4:6] == self.b[4:6] and p.offset > 0, wait)
            if not p:
                return None
            assert p.ok_ip, "a fragment with a bad IP header checksum"
            parts[p.offset] = p.l4
            if not p.more:
                end = p.offset + len(p.l4)
            data, at = b"", 0
            while at in parts:
                data += parts[at]
                at += len(parts[at])
            if end is not None and at == end:
                h = bytearray(self.b[:self.ihl])
                h[2:4] = struct.pack("!H", self.ihl + len(data))
                h[6:8] = h[10:12] = b"\0\0"
                h[10:12] = struct.pack("!H", csum(bytes(h)))
                return Pkt(bytes(h) + data)

    def udp_check(self):
        return struct.unpack("!H", self.l4[6:8])[0]

    def quoted(self):
        """The packet an ICMP error quotes, as a Pkt (not checksummed)."""
        return Pkt(self.l4[8:] + b"\0" * 64)


def ip(src, dst, proto, payload, ttl=64, opts=b"", tot=None, frag=0, ident=0x4b4e,
       ihl=None, version=4):
    ihl = ihl if ihl is not None else 5 + len(opts) // 4
    tot = tot if tot is not None else 20 + len(opts) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0, tot, ident, frag, ttl,
                    proto, 0, A(src), A(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def l4sum(src, dst, proto, seg):
    return csum(A(src) + A(dst) + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def udp(src, dst, sport, dport, data=b"knat", check="ok"):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    if check == "zero":
        return seg
    c = l4sum(src, dst, UDP, seg) or 0xffff
    if check == "bad":
        c ^= 0x0101
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp(src, dst, sport, dport, flags=0x02, bad=False):
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 65535, 0, 0)
    c = l4sum(src, dst, TCP, seg) ^ (0x0101 if bad else 0)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def icmp(kind, code, rest, data=b"", bad=False):
    m = struct.pack("!BBH", kind, code, 0) + rest + data
    c = csum(m) ^ (0x0101 if bad else 0)
    return m[:2] + struct.pack("!H", c) + m[4:]


def echo(kind, ident, seq=1):
    return icmp(kind, 0, struct.pack("!HH", ident, seq), b"knat-echo")


def knat(*args):
    """knat -n RTR ARGS...: its standard output; fails the case unless the
    CLI exits 0."""
    r = subprocess.run([KNAT, "-n", RTR] + list(args), capture_output=True, text=True)
    assert r.returncode == 0, "knat %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                        r.stderr.strip())
    return r.stdout


def stats():
    return json.loads(knat("-j", "stats"))


class Run:
    def __init__(self):
        self.c1 = Port(C1, RTR_IN_MAC)
        self.srv = Port(SRV, RTR_OUT_MAC, watch_leaks=True)
        self.n = self.failed = 0

    def no_leaks(self):
        """What reached srv so far held no inside address."""
        self.srv.drain()
        leaks, self.srv.leaks = self.srv.leaks, []
        assert not leaks, "inside address on the outside: " + "; ".join(leaks)

    def case(self, name, fn):
        self.n += 1
        why = []
        for check in (fn, self.no_leaks):
            try:
                check()
            except AssertionError as e:
                why.append(str(e))
            except Exception as e:   # a case that could not even run
                why.append(repr(e))
        if why:
            self.failed += 1
            print("not ok %d - %s: %s" % (self.n, name, "; ".join(why)))
        else:
            print("ok %d - %s" % (self.n, name))
        sys.stdout.flush()

    # What a case asserts.
    def out(self, pkt, match, wait=1.5):
        """c1 sends @pkt; the srv side must see a packet match() accepts."""
        self.c1.send(pkt)
        p = self.srv.expect(match, wait)
        assert p, "nothing matching reached srv"
        assert p.ok_ip, "it reached srv with a bad IP header checksum"
        return p

    def back(self, pkt, match, wait=1.5):
        """srv sends @pkt; c1 must see a packet match() accepts."""
        self.srv.send(pkt)
        p = self.c1.expect(match, wait)
        assert p, "nothing matching reached c1"
        assert p.ok_ip, "it reached c1 with a bad IP header checksum"
        return p

    def dropped(self, port, pkt, far, match, counter=None, wait=1.0):
        """@pkt from @port must not reach @far; @counter goes up by one."""
        before = stats() if counter else None
        port.send(pkt)
        p = far.expect(match, wait)
        assert not p, "it got through: %s > %s proto %d" % (p.src, p.dst, p.proto) if p else ""
        if counter:
            got = stats()[counter] - before[counter]
            assert got == 1, "%s went up by %d, want 1" % (counter, got)


def valid(p):
    fault = l4_fault(p.b)
    assert not fault, "bad %s checksum" % fault


def main():
    r = Run()
    cases = []
    ext = {}    # c1's outside address and the ports of its mappings

    def from_c1(sport, proto=UDP):
        return lambda p: p.proto == proto and p.dst == SRV_IP and p.dport in (7000, 8000) \
            and p.src.startswith("203.0.113.") and (sport is None or p.sport == ext.get(sport))

    def udp_out(sport, **kw):
        return ip(C1_IP, SRV_IP, UDP, udp(C1_IP, SRV_IP, sport, 7000, **kw))

    # -- outbound ------------------------------------------------------
    def c_udp():
        p = r.out(udp_out(5000), lambda p: p.proto == UDP and p.dport == 7000)
        valid(p)
        assert p.src.startswith("203.0.113."), "source %s not from the pool" % p.src
        assert p.sport >= 1024, "outside port %d" % p.sport
        ext["addr"], ext[5000] = p.src, p.sport
    cases.append(("udp: translated, checksums valid (the mapping later cases use)", c_udp))

    def c_tcp_bad():
        p = r.out(ip(C1_IP, SRV_IP, TCP, tcp(C1_IP, SRV_IP, 5001, 8000, bad=True)),
                  lambda p: p.proto == TCP and p.dport == 8000)
        assert p.ok_ip and p.src == ext["addr"], "not translated"
        assert l4_fault(p.b) == "TCP", "a wrong TCP checksum came out right"
        ext[5001] = p.sport
    cases.append(("tcp with a wrong checksum: translated, still wrong", c_tcp_bad))

    def c_udp_zero():
        p = r.out(udp_out(5002, check="zero"), from_c1(None))
        assert p.src == ext["addr"] and p.sport != 5002, "not translated"
        assert p.udp_check() == 0, "UDP checksum 0 became %#x" % p.udp_check()
    cases.append(("udp checksum 0: translated, stays 0", c_udp_zero))

    def c_udp_bad():
        p = r.out(udp_out(5003, check="bad"), lambda p: p.proto == UDP and p.src == ext["addr"]
                  and p.dport == 7000 and p.sport not in (ext[5000],))
        assert l4_fault(p.b) == "UDP", "a wrong UDP checksum came out right"
    cases.append(("udp with a wrong checksum: translated, still wrong", c_udp_bad))

    def c_sport0():
        p = r.out(ip(C1_IP, SRV_IP, UDP, udp(C1_IP, SRV_IP, 0, 7000)),
                  lambda p: p.proto == UDP and p.src == ext["addr"] and p.dport == 7000
                  and p.sport not in (ext[5000],))
        valid(p)
        assert p.sport >= 1024, "source port 0 left as %d" % p.sport
    cases.append(("udp source port 0: mapped to a pool port", c_sport0))

    def c_synfin():
        p = r.out(ip(C1_IP, SRV_IP, TCP, tcp(C1_IP, SRV_IP, 5004, 8000, flags=0x03)),
                  lambda p: p.proto == TCP and p.dport == 8000 and p.l4[13] == 0x03)
        valid(p)
        assert p.src == ext["addr"], "not translated"
    cases.append(("tcp SYN+FIN: translated as is (knat is no firewall)", c_synfin))

    def c_options():
        rr = bytes([7, 11, 4]) + b"\0" * 8 + b"\0"      # record route, room for 2, + EOL
        p = r.out(ip(C1_IP, SRV_IP, UDP, udp(C1_IP, SRV_IP, 5005, 7000), opts=rr),
                  lambda p: p.proto == UDP and p.dport == 7000 and p.ihl == 32)
        valid(p)
        assert p.src == ext["addr"] and p.sport != 5005, "not translated"
    cases.append(("udp with IP options (record route, IHL 8): translated", c_options))

    def c_echo_ids():
        for ident in (0, 65535):
            p = r.out(ip(C1_IP, SRV_IP, ICMP, echo(8, ident)),
                      lambda p: p.proto == ICMP and p.type == 8 and p.dst == SRV_IP)
            valid(p)
            assert p.src == ext["addr"], "echo id %d not translated" % ident
    cases.append(("echo requests with id 0 and 65535: translated", c_echo_ids))

    def c_timestamp():
        p = r.out(ip(C1_IP, SRV_IP, ICMP, icmp(13, 0, struct.pack("!HH", 4242, 1), b"\0" * 12)),
                  lambda p: p.proto == ICMP and p.type == 13)
        valid(p)
        assert p.src == ext["addr"], "timestamp request not translated"
    cases.append(("timestamp request: translated like an echo", c_timestamp))

    def c_unknown_icmp():
        r.dropped(r.c1, ip(C1_IP, SRV_IP, ICMP, icmp(42, 0, b"\0" * 4, b"junk")), r.srv,
                  lambda p: p.proto == ICMP and p.type == 42, "drop_icmp_untranslatable")
    cases.append(("unknown ICMP type from inside: dropped, never leaks the inside address",
                  c_unknown_icmp))

    def ttl_out(ttl):
        def c():
            r.c1.send(ip(C1_IP, SRV_IP, UDP, udp(C1_IP, SRV_IP, 5006 + ttl, 7000), ttl=ttl))
            p = r.c1.expect(lambda p: p.proto == ICMP and p.type == 11 and p.dst == C1_IP)
            assert p, "no time exceeded"
            valid(p)
            q = p.quoted()
            assert q.src == C1_IP and q.sport == 5006 + ttl, \
                "quotes %s:%s" % (q.src, q.sport)
            assert not r.srv.expect(lambda p: p.proto == UDP and p.dport == 7000, 0.5), \
                "forwarded anyway"
        return c
    cases.append(("TTL 1 outbound: time exceeded to c1, quoting its own packet", ttl_out(1)))
    cases.append(("TTL 0 outbound: time exceeded to c1, quoting its own packet", ttl_out(0)))

    def c_long_tot():
        r.dropped(r.c1, ip(C1_IP, SRV_IP, UDP, udp(C1_IP, SRV_IP, 5010, 7000), tot=200),
                  r.srv, lambda p: p.proto == UDP and p.dport == 7000)
    cases.append(("total length beyond the frame: dropped before knat", c_long_tot))

    def c_short_tot():
        seg = udp(C1_IP, SRV_IP, 5011, 7000, data=b"0123456789")
        p = r.out(ip(C1_IP, SRV_IP, UDP, seg + b"trailing-junk", tot=20 + len(seg)),
                  lambda p: p.proto == UDP and p.dport == 7000 and p.src == ext["addr"]
                  and len(p.l4) == len(seg))
        valid(p)
    cases.append(("total length short of the frame: trimmed, translated", c_short_tot))

    def c_bcast():
        for dst in ("255.255.255.255", "224.0.0.1"):
            r.dropped(r.c1, ip(C1_IP, dst, UDP, udp(C1_IP, dst, 5012, 7000)), r.srv,
                      lambda p: p.proto == UDP and p.dport == 7000, wait=0.5)
        m = knat("mapping", "show")
        assert ":5012 " not in m, "a broadcast made a mapping: " + m
    cases.append(("broadcast and multicast from inside: not forwarded, no mapping", c_bcast))

    def frag(sport, payload, off, mf, ident=0x77):
        return ip(C1_IP, SRV_IP, UDP, payload, frag=(0x2000 if mf else 0) | off // 8,
                  ident=ident)

    def c_frags():
        seg = udp(C1_IP, SRV_IP, 5013, 7000, data=b"A" * 40)
        r.c1.send(frag(5013, seg[:24], 0, True, ident=0x71))
        assert not r.srv.expect(lambda p: p.proto == UDP, 0.5), "a first fragment went out alone"
        r.c1.send(frag(5013, seg[24:], 24, False, ident=0x71))
        p = r.srv.expect(lambda p: p.proto == UDP and p.dport == 7000 and p.offset == 0)
        assert p, "nothing of the datagram arrived"
        assert p.src == ext["addr"] and p.sport != 5013, "not translated"
        p = p.gather(r.srv)
        assert p and len(p.l4) == 48, "the datagram did not arrive whole"
        valid(p)
    cases.append(("first + last fragment: reassembled, translated, sent on as fragments, "
                  "checksum valid", c_frags))

    def c_tiny_frags():
        seg = udp(C1_IP, SRV_IP, 5014, 7000, data=b"B" * 24)
        for off in range(0, 32, 8):
            r.c1.send(frag(5014, seg[off:off + 8], off, off + 8 < 32, ident=0x72))
        p = r.srv.expect(lambda p: p.proto == UDP and p.dport == 7000 and p.offset == 0)
        assert p and p.src == ext["addr"], "nothing translated arrived"
        p = p.gather(r.srv)
        assert p and len(p.l4) == 32, "the datagram did not arrive whole"
        valid(p)
    cases.append(("four 8-byte fragments: reassembled, translated", c_tiny_frags))

    def c_middle_frag():
        r.dropped(r.c1, frag(5015, b"C" * 16, 16, True, ident=0x73), r.srv,
                  lambda p: p.proto == UDP)
    cases.append(("a middle fragment alone: held by reassembly, nothing out", c_middle_frag))

    def c_overlap():
        seg = udp(C1_IP, SRV_IP, 5016, 7000, data=b"D" * 40)
        r.c1.send(frag(5016, seg[:32], 0, True, ident=0x74))
        r.c1.send(frag(5016, seg[16:], 16, False, ident=0x74))
        assert not r.srv.expect(lambda p: p.proto == UDP and p.dport == 7000, 1.0), \
            "overlapping fragments were joined"
    cases.append(("overlapping fragments: dropped by reassembly", c_overlap))

    # -- inbound -------------------------------------------------------
    def elsewhere():
        """A port (or id) of the pool outside c1's block: nobody's."""
        return (ext[5000] - 1024 + 32768) % 64512 + 1024

    def to_c1(sport=7000, proto=UDP):
        return lambda p: p.proto == proto and p.dst == C1_IP and p.sport == sport

    def c_in_udp():
        p = r.back(ip(SRV_IP, ext["addr"], UDP, udp(SRV_IP, ext["addr"], 7000, ext[5000])),
                   to_c1())
        valid(p)
        assert p.dport == 5000, "to port %d" % p.dport
    cases.append(("reply to the mapping: translated back to c1:5000", c_in_udp))

    def c_in_zero():
        p = r.back(ip(SRV_IP, ext["addr"], UDP,
                      udp(SRV_IP, ext["addr"], 7000, ext[5000], check="zero")), to_c1())
        assert p.udp_check() == 0, "UDP checksum 0 became %#x" % p.udp_check()
    cases.append(("inbound UDP checksum 0: stays 0", c_in_zero))

    def c_in_tcp_bad():
        p = r.back(ip(SRV_IP, ext["addr"], TCP,
                      tcp(SRV_IP, ext["addr"], 8000, ext[5001], flags=0x12, bad=True)),
                   to_c1(8000, TCP))
        assert p.dport == 5001 and l4_fault(p.b) == "TCP", \
            "a wrong TCP checksum came out right"
    cases.append(("inbound TCP with a wrong checksum: translated, still wrong", c_in_tcp_bad))

    def c_filtered():
        r.dropped(r.srv, ip("192.0.2.99", ext["addr"], UDP,
                            udp("192.0.2.99", ext["addr"], 7000, ext[5000])),
                  r.c1, lambda p: p.proto == UDP and p.dst == C1_IP, "drop_filtered")
    cases.append(("from a peer c1 never contacted: filtered and counted", c_filtered))

    def c_rst_guess():
        r.dropped(r.srv, ip(SRV_IP, ext["addr"], TCP,
                            tcp(SRV_IP, ext["addr"], 8000, elsewhere(), flags=0x04)),
                  r.c1, lambda p: p.proto == TCP, "drop_no_mapping")
    cases.append(("RST from outside to a guessed port: dropped, no mapping", c_rst_guess))

    def c_echo_reply_unmapped():
        r.dropped(r.srv, ip(SRV_IP, ext["addr"], ICMP, echo(0, elsewhere())),
                  r.c1, lambda p: p.proto == ICMP and p.type == 0, "drop_no_mapping")
    cases.append(("echo reply without a mapping: dropped, counted", c_echo_reply_unmapped))

    def ttl_in(ttl):
        def c():
            before = stats()["drop_ttl_expired"]
            r.srv.send(ip(SRV_IP, ext["addr"], UDP,
                          udp(SRV_IP, ext["addr"], 7000, ext[5000]), ttl=ttl))
            p = r.srv.expect(lambda p: p.proto == ICMP and p.type == 11 and p.dst == SRV_IP)
            assert p, "no time exceeded to srv"
            valid(p)
            q = p.quoted()
            assert q.dst == ext["addr"] and q.dport == ext[5000], \
                "quotes %s:%s, not the packet as it came" % (q.dst, q.dport)
            assert not r.c1.expect(to_c1(), 0.5), "delivered anyway"
            assert stats()["drop_ttl_expired"] - before == 1, "not counted"
        return c
    cases.append(("TTL 1 inbound: time exceeded quoting the outside view, counted", ttl_in(1)))
    cases.append(("TTL 0 inbound: time exceeded quoting the outside view, counted", ttl_in(0)))

    def c_in_bcast():
        for dst in ("255.255.255.255", "224.0.0.1"):
            r.dropped(r.srv, ip(SRV_IP, dst, UDP, udp(SRV_IP, dst, 7000, ext[5000])),
                      r.c1, lambda p: p.proto == UDP, wait=0.5)
    cases.append(("broadcast and multicast from outside: nothing reaches inside", c_in_bcast))

    # -- ICMP errors from outside about c1's UDP packet ------------------
    def quote(proto=UDP, sport=None, ihl_opts=b"", frag=0, tot=None, ihl=None, cut=None):
        """c1's packet as it left: ext addr:port > srv:7000 (or 8000)."""
        sport = ext[5000] if sport is None else sport
        if proto == UDP:
            seg = udp(ext["addr"], SRV_IP, sport, 7000)
        elif proto == TCP:
            seg = tcp(ext["addr"], SRV_IP, sport, 8000)
        else:
            seg = echo(8, sport)
        q = ip(ext["addr"], SRV_IP, proto, seg, opts=ihl_opts, frag=frag, tot=tot, ihl=ihl)
        return q[:cut] if cut else q

    def unreach(q, dst=None, bad=False, kind=3, code=3):
        dst = dst or ext["addr"]
        return ip(SRV_IP, dst, ICMP, icmp(kind, code, b"\0" * 4, q, bad=bad))

    def err_to_c1(proto, qsport):
        return lambda p: p.proto == ICMP and p.type == 3 and p.dst == C1_IP \
            and p.quoted().proto == proto and p.quoted().sport == qsport

    def c_err_ok():
        p = r.back(unreach(quote()), err_to_c1(UDP, 5000))
        valid(p)
        q = p.quoted()
        assert q.src == C1_IP and q.ok_ip, "quote %s, IP checksum ok %s" % (q.src, q.ok_ip)
    cases.append(("port unreachable about c1's UDP: c1 gets it about its own packet", c_err_ok))

    def c_err_options():
        p = r.back(unreach(quote(ihl_opts=b"\x01\x01\x01\x00")), err_to_c1(UDP, 5000))
        valid(p)
        q = p.quoted()
        assert q.ihl == 24 and q.src == C1_IP and q.ok_ip, "quote mistranslated"
    cases.append(("error quoting a header with IP options: ports found past them", c_err_options))

    def c_err_tcp():
        p = r.back(unreach(quote(TCP, ext[5001])), err_to_c1(TCP, 5001))
        valid(p)
    cases.append(("error about c1's TCP: translated", c_err_tcp))

    def c_err_echo():
        r.c1.send(ip(C1_IP, SRV_IP, ICMP, echo(8, 999)))
        e = r.srv.expect(lambda p: p.proto == ICMP and p.type == 8 and p.src == ext["addr"])
        assert e, "echo request not translated"
        p = r.back(unreach(quote(ICMP, e.ident), code=1),
                   lambda p: p.proto == ICMP and p.type == 3 and p.dst == C1_IP)
        valid(p)
        assert p.quoted().ident == 999, "quoted id %d" % p.quoted().ident
    cases.append(("error about c1's echo: translated, id restored", c_err_echo))

    def drop_err(pkt, counter):
        return lambda: r.dropped(r.srv, pkt(), r.c1,
                                 lambda p: p.proto == ICMP and p.type in (3, 11), counter)

    cases.append(("error quoting less than IP header + 8: dropped, counted",
                  drop_err(lambda: unreach(quote(cut=24)), "drop_icmp_truncated")))
    cases.append(("error quoting IHL < 5: dropped, counted",
                  drop_err(lambda: unreach(quote(ihl=4)), "drop_icmp_truncated")))
    cases.append(("error with a bad ICMP checksum: dropped, counted",
                  drop_err(lambda: unreach(quote(), bad=True), "drop_icmp_checksum")))
    cases.append(("error about an ICMP error: dropped, counted",
                  drop_err(lambda: unreach(ip(ext["addr"], SRV_IP, ICMP,
                                              icmp(3, 3, b"\0" * 4, b"\0" * 28))),
                           "drop_icmp_untranslatable")))
    cases.append(("error quoting a non-first fragment: dropped, counted",
                  drop_err(lambda: unreach(quote(frag=0x0010)), "drop_icmp_untranslatable")))
    cases.append(("error quoting a packet of no mapping: dropped, counted",
                  drop_err(lambda: unreach(quote(sport=elsewhere())), "drop_icmp_no_mapping")))

    def c_err_spoofed():
        other = "203.0.113.%d" % (1 + int(ext["addr"].split(".")[3]) % 250)
        r.dropped(r.srv, unreach(quote(), dst=other), r.c1,
                  lambda p: p.proto == ICMP and p.type == 3, "drop_icmp_no_mapping")
    cases.append(("error quoting c1's mapping sent to another address: dropped (spoofed)",
                  c_err_spoofed))

    def c_err_long_tot():
        p = r.back(unreach(quote(tot=1400)), err_to_c1(UDP, 5000))
        valid(p)
    cases.append(("error whose quote claims more than it holds: translated", c_err_long_tot))

    def c_still_flows():
        p = r.out(udp_out(5000), from_c1(5000))
        valid(p)
        p = r.back(ip(SRV_IP, ext["addr"], UDP, udp(SRV_IP, ext["addr"], 7000, ext[5000])),
                   to_c1())
        valid(p)
    cases.append(("after all that: c1's UDP still goes out and comes back", c_still_flows))

    def c_late():
        while r.srv.arrived(1.0) is not False:   # until srv hears nothing for 1 s
            pass
    cases.append(("what reached srv late held no inside address either", c_late))

    print("1..%d" % len(cases))
    for name, fn in cases:
        r.case(name, fn)
    print("# %d cases, %d failed" % (len(cases), r.failed))
    sys.exit(1 if r.failed else 0)


if __name__ == "__main__":
    main()
