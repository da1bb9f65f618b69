#!/usr/bin/python3
"""Test peer for knat scenarios.

  peer.py serve udp|tcp PORT[,PORT...]
                                   answer every datagram / connection with
                                   "ADDR:PORT" of the peer as seen here
  peer.py ask udp|tcp DST DPORT [SRC:]SPORT [TIMEOUT]
                                   send from SPORT, print the answer; exit 1
                                   when none comes
  peer.py burst udp|tcp DST DPORT FIRST_SPORT COUNT
                                   one datagram (connection) from each of
                                   COUNT source ports; print how many were
                                   answered (connected)
  peer.py flood SRC DST DPORT FIRST_SPORT COUNT [TTL]
                                   the same over UDP from address SRC,
                                   without waiting for answers; prints
                                   the seconds it took
  peer.py sink PORT                TCP: read to the end, answer the count
                                   (or "corrupt at OFFSET": push sends a
                                   known pattern)
  peer.py push DST DPORT BYTES TIMEOUT
                                   TCP: send BYTES, print the sink's count
  peer.py gso DST DPORT SPORT SEGMENT BYTES
                                   UDP: one write of BYTES cut into
                                   SEGMENT-byte datagrams by GSO
  peer.py collect PORT COUNT TIMEOUT
                                   UDP: print "N x SIZE from ADDR:PORT" for
                                   each (size, source) of COUNT datagrams
  peer.py soak SENDER SECONDS WINDOW
                                   UDP through a raw socket: new flows as
                                   fast as it can for SECONDS, each sent
                                   twice (again WINDOW flows later); flow f
                                   of sender s is inside 10.(2+s).x.y:port
                                   to 192.0.2.(16s + f/65536):(f % 65536),
                                   so the destination names the flow.
                                   Prints "FLOWS PACKETS"
  peer.py stream SRC DST DPORT FIRST_SPORT COUNT SECONDS
                                   UDP from SRC through a raw socket, round
                                   robin over COUNT source ports, paced
                                   (about 200 packets/s);
                                   SECONDS 0: once from each port; prints
                                   "SENT ERRORS"
  peer.py pingpong DST DPORT SPORT COUNT SIZE
                                   UDP: COUNT datagrams of SIZE bytes (not
                                   DF) from SPORT, each after the answer
                                   to the one before; prints "N ANSWER"
                                   for each answer (serve's ADDR:PORT)
  peer.py icmp DST TYPE ID         one raw echo request (8) or reply (0)
  peer.py spoof FIRST_SRC COUNT DST DPORT [SPORT]
                                   UDP through a raw socket from COUNT
                                   forged sources FIRST_SRC, FIRST_SRC + 1,
                                   ... (port SPORT, 4000), one datagram
                                   each; prints how many were sent
  peer.py protocols SRC DST        through a raw socket from SRC, one
                                   datagram of every IP protocol 0-255:
                                   8 bytes of body, but the six with
                                   ports cut short (TCP, UDP, DCCP, SCTP,
                                   UDP-Lite 4 bytes, ICMP 2: nothing can
                                   translate them); prints how many were
                                   sent
"""
import os
import select
import signal
import socket
import struct
import sys
import time


# The protocols the peers speak: socket type, protocol, connected
# (accept) or datagrams. UDP-Lite covers its header only (the partial
# checksum a NAT must keep right); DCCP needs a service code.
PROTOS = {
    "udp": (socket.SOCK_DGRAM, 0, False),
    "tcp": (socket.SOCK_STREAM, 0, True),
    "udplite": (socket.SOCK_DGRAM, 136, False),
    "sctp": (socket.SOCK_STREAM, 132, True),
    "dccp": (6, 33, True),         # SOCK_DCCP, IPPROTO_DCCP
}
SOL_DCCP, DCCP_SOCKOPT_SERVICE = 269, 2
UDPLITE_SEND_CSCOV = 10


def proto_socket(proto):
    kind, num, _ = PROTOS[proto]
    s = socket.socket(socket.AF_INET, kind, num)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if proto == "dccp":
        s.setsockopt(SOL_DCCP, DCCP_SOCKOPT_SERVICE, struct.pack("!I", 42))
    if proto == "udplite":
        s.setsockopt(136, UDPLITE_SEND_CSCOV, 8)
    return s


def stream_listener(proto, port):
    s = proto_socket(proto)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    return s


def serve(proto, ports):
    """Answers on every port of the list, one process for all of them."""
    socks = []
    stream = PROTOS[proto][2]
    for port in ports:
        if stream:
            socks.append(stream_listener(proto, port))
            continue
        s = proto_socket(proto)
        s.bind(("0.0.0.0", port))
        # Answer from the address asked, as a real server on a host with
        # two addresses must: clients are connected to that address.
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        socks.append(s)
    ready = os.environ.get("PEER_READY")
    if ready:   # every port bound (and listening): tell serve() in _lib.sh
        open(ready, "w").close()
    while True:
        for s in select.select(socks, [], [])[0]:
            (answer_stream if stream else answer_udp)(s)


def answer_udp(s):
    _, anc, _, peer = s.recvmsg(2048, socket.CMSG_SPACE(12))
    pktinfo = [d for lvl, t, d in anc
               if lvl == socket.IPPROTO_IP and t == IP_PKTINFO]
    cmsg = []
    if pktinfo:     # struct in_pktinfo: ifindex, spec_dst, addr
        asked = pktinfo[0][8:12]
        cmsg = [(socket.IPPROTO_IP, IP_PKTINFO,
                 struct.pack("=i4s4s", 0, asked, b"\0" * 4))]
    try:
        s.sendmsg([("%s:%d" % peer).encode()], cmsg, 0, peer)
    except OSError:
        pass    # no route back: what an untranslated client gets


def answer_stream(s):
    c, peer = s.accept()
    try:
        c.recv(2048)
        c.sendall(("%s:%d" % peer).encode())
    finally:
        c.close()


def ask(proto, dst, dport, src, timeout):
    saddr, _, sport = src.rpartition(":")
    s = proto_socket(proto)
    s.settimeout(timeout)
    s.bind((saddr or "0.0.0.0", int(sport)))
    try:
        # Datagrams connected too: ICMP errors about them are reported,
        # and only the address asked may answer.
        s.connect((dst, dport))
        s.sendall(b"hello")
        data = s.recv(2048)
    except OSError as e:
        print("no answer: %s" % e, file=sys.stderr)
        return 1
    print(data.decode())
    return 0


def settle(pending, done, count):
    """Collects answers until all came or none came for QUIET seconds:
    refused flows never answer, and a slow (KASAN) guest answers late."""
    last = time.time()
    deadline = last + 60
    while len(done) < count and time.time() < deadline and \
            time.time() - last < (QUIET if done else FIRST):
        readable, writable, _ = select.select(*pending(), 0.2)
        for s in readable + writable:
            if done(s):
                last = time.time()
    return len(done)


IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)   # Linux, not in every Python
QUIET = 5     # seconds without a new answer, once answers came
FIRST = 30    # seconds to wait for the first answer


def burst_tcp(dst, dport, first, count):
    socks = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("0.0.0.0", first + i))
        s.setblocking(False)
        s.connect_ex((dst, dport))
        socks.append(s)

    failed = set()

    class Done(set):
        def __call__(self, s):
            try:
                s.getpeername()     # raises unless the handshake completed
            except OSError:
                failed.add(s)
                return False
            self.add(s)
            return True
    connected = Done()
    print(settle(lambda: ([], [s for s in socks
                               if s not in connected and s not in failed], []),
                 connected, count))
    return 0


def flood(src, dst, dport, first, count, ttl=64):
    """UDP from count source ports, one datagram each; no waiting.
    Prints the seconds it took."""
    start = time.time()
    for i in range(count):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
            s.bind((src, first + i))
            s.sendto(b"hello", (dst, dport))
    print("%.3f" % (time.time() - start))
    return 0


# What push sends: bytes 0..255 over and over; any 64 KiB window of it.
PATTERN = bytes(range(256)) * 257


def sink(port):
    """TCP: reads each connection to its end, checks it is push's pattern,
    answers the byte count."""
    s = stream_listener("tcp", port)
    while True:
        c, _ = s.accept()
        n, corrupt = 0, None
        while True:
            data = c.recv(65536)
            if not data:
                break
            if corrupt is None and data != PATTERN[n % 256:n % 256 + len(data)]:
                want = PATTERN[n % 256:n % 256 + len(data)]
                corrupt = n + next(i for i in range(len(data))
                                   if data[i] != want[i])
            n += len(data)
        c.sendall((str(n) if corrupt is None else
                   "corrupt at %d" % corrupt).encode())
        c.close()


def push(dst, dport, nbytes, timeout):
    """TCP: sends nbytes of PATTERN, prints what the sink answers."""
    s = socket.create_connection((dst, dport), timeout=timeout)
    sent = 0
    try:
        while sent < nbytes:
            # A send may take part of what it is given: go on from there.
            o = sent % 256
            sent += s.send(PATTERN[o:o + min(nbytes - sent, 65536)])
        s.shutdown(socket.SHUT_WR)
        print(s.recv(64).decode())
    except OSError as e:
        print("push: %s after %d bytes" % (e, sent), file=sys.stderr)
        return 1
    return 0


def gso(dst, dport, sport, segment, nbytes):
    """UDP: one send of nbytes that GSO cuts into segment-byte datagrams."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", sport))
    s.setsockopt(socket.SOL_UDP, 103, segment)     # UDP_SEGMENT
    s.sendto(PATTERN[:nbytes], (dst, dport))
    return 0


def collect(port, count, timeout):
    """UDP: counts datagrams by (size, source) until count or timeout."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.settimeout(timeout)
    seen = {}
    try:
        for _ in range(count):
            data, src = s.recvfrom(65536)
            key = (len(data), "%s:%d" % src)
            seen[key] = seen.get(key, 0) + 1
    except socket.timeout:
        pass
    for (size, src), n in sorted(seen.items()):
        print("%d x %d from %s" % (n, size, src))
    return 0


SOAK_PORTS = 2000      # flows per inside address


def ipv4_packet(src, dst, proto, body):
    """IPv4 header (the kernel fills in its checksum) + body, for a raw
    socket; addresses as 4 bytes."""
    return struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(body), 0, 0, 64,
                       proto, 0) + src + dst + body


def udp_packet(src, dst, sport, dport, payload=b"knat"):
    """IPv4 + UDP (checksum 0) for a raw socket; addresses as 4 bytes."""
    return ipv4_packet(src, dst, 17, struct.pack(
        "!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def soak_packet(sender, f):
    """Flow f of a sender."""
    a, port = divmod(f, SOAK_PORTS)
    return udp_packet(bytes((10, 2 + sender, a >> 8 & 255, a & 255)),
                      bytes((192, 0, 2, 16 * sender + (f >> 16))),
                      10000 + port, f & 0xffff)


def soak(sender, seconds, window):
    """New flows as fast as one CPU sends them; each flow twice."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    end = time.monotonic() + seconds
    f = sent = 0
    while f % 256 or time.monotonic() < end:
        for g in (f, f - window):
            if g >= 0:
                s.sendto(soak_packet(sender, g), ("192.0.2.1", 0))
                sent += 1
        f += 1
        if f >> 16 >= 16:
            break
    for g in range(max(0, f - window), f):     # the window's second sends
        s.sendto(soak_packet(sender, g), ("192.0.2.1", 0))
        sent += 1
    print(f, sent)
    return 0


def stream(src, dst, dport, first, count, seconds):
    """UDP round robin over count source ports, about 200 packets/s (a
    packet costs milliseconds of CPU in a TCG guest: more would starve
    what runs beside), through anything (errors while the path is gone
    are counted). seconds 0: once from each port, at full speed."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    pkts = [udp_packet(socket.inet_aton(src), socket.inet_aton(dst),
                       first + i, dport) for i in range(count)]
    end = time.monotonic() + seconds
    sent = errors = i = 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # print, then go
    try:
        while time.monotonic() < end or (not seconds and i < count):
            try:
                s.sendto(pkts[i % count], (dst, 0))
                sent += 1
            except OSError:
                errors += 1
            i += 1
            if seconds:
                time.sleep(0.005)
    finally:
        print(sent, errors, flush=True)
    return 0


IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0


def pingpong(dst, dport, sport, count, size):
    """UDP request and answer, count times over one flow: a flow that
    lives long enough for a fast path, every packet of it accounted."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    s.settimeout(3)
    s.bind(("0.0.0.0", sport))
    s.connect((dst, dport))
    seen = {}
    for _ in range(count):
        try:
            s.send(PATTERN[:size])
            answer = s.recv(2048).decode()
        except OSError as e:
            answer = "lost (%s)" % e
        seen[answer] = seen.get(answer, 0) + 1
    for answer, n in sorted(seen.items()):
        print(n, answer)
    return 0


def spoof(first, count, dst, dport, sport=4000):
    """Datagrams from addresses this host does not have."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    base = struct.unpack("!I", socket.inet_aton(first))[0]
    for i in range(count):
        s.sendto(udp_packet(struct.pack("!I", base + i), socket.inet_aton(dst),
                            sport, dport), (dst, 0))
    print(count)
    return 0


def protocols(src, dst):
    """Every protocol number once; those with ports, truncated."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    short = {1: 2, 6: 4, 17: 4, 33: 4, 132: 4, 136: 4}
    for proto in range(256):
        body = bytes([proto]) * short.get(proto, 8)
        s.sendto(ipv4_packet(socket.inet_aton(src), socket.inet_aton(dst),
                             proto, body), (dst, 0))
    print(256)
    return 0


def icmp(dst, kind, ident):
    """One raw ICMP echo request or reply (kind 8 or 0) with this id."""
    body = struct.pack("!BBHHH", kind, 0, 0, ident, 1) + b"knat"
    body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.sendto(body, (dst, 0))
    return 0


def l4_fault(raw):
    """What is wrong with the checksums of an IPv4 datagram (bytes, the
    whole of it): "IP header", "ICMP", "TCP", "UDP", "UDP-Lite", "DCCP"
    or "SCTP"; None when all verify (a later fragment has no transport
    header; UDP may have none)."""
    ihl = (raw[0] & 15) * 4
    if checksum(raw[:ihl]):
        return "IP header"
    proto, l4 = raw[9], raw[ihl:]
    if struct.unpack("!H", raw[6:8])[0] & 0x1fff:
        return None
    if proto == 1:
        return "ICMP" if checksum(l4) else None
    if proto == 132:
        want = struct.pack("<I", crc32c(l4[:8] + b"\0" * 4 + l4[12:]))
        return "SCTP" if l4[8:12] != want else None
    if proto not in (6, 17, 33, 136):
        return None
    covered = l4
    if proto == 17 and struct.unpack("!H", l4[6:8])[0] == 0:
        return None
    if proto == 136:    # UDP-Lite: coverage 0 is the whole datagram
        cov = struct.unpack("!H", l4[4:6])[0]
        covered = l4[:cov] if cov else l4
    if proto == 33:     # DCCP: CsCov 0 is the whole packet
        cscov = l4[5] & 15
        if cscov:
            covered = l4[:l4[4] * 4 + (cscov - 1) * 4]
    pseudo = raw[12:20] + struct.pack("!BBH", 0, proto, len(l4))
    if checksum(pseudo + covered):
        return {6: "TCP", 17: "UDP", 33: "DCCP", 136: "UDP-Lite"}[proto]
    return None


def crc32c(data):
    """CRC32c (Castagnoli), as SCTP carries it (RFC 4960 appendix B)."""
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff


def checksum(data):
    """The internet checksum (RFC 1071): 0 over data that holds a valid one."""
    if len(data) % 2:
        data += b"\0"
    t = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return t ^ 0xffff


def burst(proto, dst, dport, first, count):
    if proto == "tcp":
        return burst_tcp(dst, dport, first, count)
    socks = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", first + i))
        s.setblocking(False)
        s.sendto(b"hello", (dst, dport))
        socks.append(s)

    class Done(set):
        def __call__(self, s):
            try:
                s.recv(2048)
            except OSError:     # an ICMP error: no answer
                return False
            if s in self:
                return False
            self.add(s)
            return True
    answered = Done()
    print(settle(lambda: ([s for s in socks if s not in answered], [], []),
                 answered, count))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "serve":
        serve(argv[1], [int(p) for p in argv[2].split(",")])
    elif len(argv) >= 5 and argv[0] == "ask":
        timeout = float(argv[5]) if len(argv) > 5 else 3.0
        return ask(argv[1], argv[2], int(argv[3]), argv[4], timeout)
    if len(argv) in (6, 7) and argv[0] == "flood":
        return flood(argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5]),
                     int(argv[6]) if len(argv) == 7 else 64)
    if len(argv) == 2 and argv[0] == "sink":
        return sink(int(argv[1]))
    if len(argv) == 5 and argv[0] == "push":
        return push(argv[1], int(argv[2]), int(argv[3]), float(argv[4]))
    if len(argv) == 6 and argv[0] == "gso":
        return gso(argv[1], int(argv[2]), int(argv[3]), int(argv[4]),
                   int(argv[5]))
    if len(argv) == 4 and argv[0] == "collect":
        return collect(int(argv[1]), int(argv[2]), float(argv[3]))
    if len(argv) == 7 and argv[0] == "stream":
        return stream(argv[1], argv[2], int(argv[3]), int(argv[4]),
                      int(argv[5]), float(argv[6]))
    if len(argv) == 4 and argv[0] == "soak":
        return soak(int(argv[1]), float(argv[2]), int(argv[3]))
    if len(argv) in (5, 6) and argv[0] == "spoof":
        return spoof(argv[1], int(argv[2]), argv[3], int(argv[4]),
                     int(argv[5]) if len(argv) == 6 else 4000)
    if len(argv) == 3 and argv[0] == "protocols":
        return protocols(argv[1], argv[2])
    if len(argv) == 6 and argv[0] == "pingpong":
        return pingpong(argv[1], int(argv[2]), int(argv[3]), int(argv[4]),
                        int(argv[5]))
    if len(argv) == 4 and argv[0] == "icmp":
        return icmp(argv[1], int(argv[2]), int(argv[3]))
    if len(argv) == 6 and argv[0] == "burst":
        return burst(argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
