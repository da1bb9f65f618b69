#!/usr/bin/python3
"""Test peer for knat scenarios.

  peer.py serve udp|tcp PORT       answer every datagram / connection with
                                   "ADDR:PORT" of the peer as seen here
  peer.py ask udp|tcp DST DPORT [SRC:]SPORT [TIMEOUT]
                                   send from SPORT, print the answer; exit 1
                                   when none comes
  peer.py burst udp|tcp DST DPORT FIRST_SPORT COUNT
                                   one datagram (connection) from each of
                                   COUNT source ports; print how many were
                                   answered (connected)
  peer.py flood SRC DST DPORT FIRST_SPORT COUNT
                                   the same over UDP from address SRC,
                                   without waiting for answers
"""
import select
import socket
import sys
import time


def serve(proto, port):
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        while True:
            _, peer = s.recvfrom(2048)
            try:
                s.sendto(("%s:%d" % peer).encode(), peer)
            except OSError:
                pass    # no route back: what an untranslated client gets
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    while True:
        c, peer = s.accept()
        try:
            c.recv(2048)
            c.sendall(("%s:%d" % peer).encode())
        finally:
            c.close()


def ask(proto, dst, dport, src, timeout):
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    saddr, _, sport = src.rpartition(":")
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(timeout)
    s.bind((saddr or "0.0.0.0", int(sport)))
    try:
        if proto == "udp":
            s.sendto(b"hello", (dst, dport))
            data, _ = s.recvfrom(2048)
        else:
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


def flood(src, dst, dport, first, count):
    """UDP from count source ports, one datagram each; no waiting."""
    for i in range(count):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((src, first + i))
            s.sendto(b"hello", (dst, dport))
    return 0


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
        serve(argv[1], int(argv[2]))
    elif len(argv) >= 5 and argv[0] == "ask":
        timeout = float(argv[5]) if len(argv) > 5 else 3.0
        return ask(argv[1], argv[2], int(argv[3]), argv[4], timeout)
    if len(argv) == 6 and argv[0] == "flood":
        return flood(argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    if len(argv) == 6 and argv[0] == "burst":
        return burst(argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
