#!/usr/bin/python3
"""Test peer for knat scenarios.

  peer.py serve udp|tcp PORT       answer every datagram / connection with
                                   "ADDR:PORT" of the peer as seen here
  peer.py ask udp|tcp DST DPORT SPORT [TIMEOUT]
                                   send from SPORT, print the answer; exit 1
                                   when none comes
"""
import socket
import sys


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


def ask(proto, dst, dport, sport, timeout):
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(timeout)
    s.bind(("0.0.0.0", sport))
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


def main(argv):
    if len(argv) >= 3 and argv[0] == "serve":
        serve(argv[1], int(argv[2]))
    elif len(argv) >= 5 and argv[0] == "ask":
        timeout = float(argv[5]) if len(argv) > 5 else 3.0
        return ask(argv[1], argv[2], int(argv[3]), int(argv[4]), timeout)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
