#!/usr/bin/python3
"""Checks on packets captured in knat scenarios. The pcap is read and the
headers decoded and checksums verified here, byte by byte, with nothing
but the standard library (importing scapy costs over ten seconds in a
TCG guest).

  pcap_check.py clean [--min N] PCAP PREFIX[,PREFIX...]
      every IPv4 packet: no address in PREFIX, neither in the header nor
      in the packet an ICMP error quotes; every checksum valid (IP, ICMP,
      TCP, UDP, and the quoted IP header); and at least N IPv4 packets
      (1 by default: an empty capture proves nothing). Prints what it
      checked.
  pcap_check.py errors PCAP
      one line per ICMP error: TYPE/CODE SRC > DST quoting
      QSRC:QSPORT > QDST:QDPORT PROTO, after checking its checksums
  pcap_check.py echo PCAP
      one line per echo request or reply: TYPE SRC > DST ID SEQ
Exit 1 with the offending packet on a failed check.
"""
import ipaddress
import struct
import sys

from peer import checksum as csum, l4_fault  # the tests' one checksum code


def addr(b):
    return str(ipaddress.ip_address(b))


def bad(raw, why):
    print("FAIL: %s: %s > %s proto %d, %d bytes: %s" % (
        why, addr(raw[12:16]), addr(raw[16:20]), raw[9], len(raw),
        raw[:64].hex()), file=sys.stderr)
    sys.exit(1)


def check_l4(raw):
    """Checksums of an IPv4 datagram given as bytes (the whole of it)."""
    fault = l4_fault(raw)
    if fault:
        bad(raw, fault + " checksum")


def quoted(raw):
    """(type, code, quoted datagram bytes) of an ICMP error, else None."""
    ihl = (raw[0] & 15) * 4
    if raw[9] != 1 or len(raw) < ihl + 8 + 20:
        return None
    icmp = raw[ihl:]
    if icmp[0] not in (3, 11, 12):
        return None
    return icmp[0], icmp[1], icmp[8:]


def endpoints(q):
    qihl = (q[0] & 15) * 4
    src, dst = addr(q[12:16]), addr(q[16:20])
    proto = q[9]
    t = q[qihl:qihl + 8]
    if proto in (6, 17):
        sp, dp = struct.unpack("!HH", t[:4])
    else:
        sp = dp = struct.unpack("!H", t[4:6])[0]
    name = {1: "icmp", 6: "tcp", 17: "udp"}.get(proto, str(proto))
    return src, sp, dst, dp, name


def frames(path):
    """The frames of a classic pcap file (tcpdump -w), either byte order."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
                 b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}
        if head[:4] not in order:
            sys.exit("%s: not a pcap file" % path)
        rec = struct.Struct(order[head[:4]] + "IIII")
        while True:
            hdr = f.read(rec.size)
            if len(hdr) < rec.size:
                return
            caplen = rec.unpack(hdr)[2]
            frame = f.read(caplen)
            if len(frame) < caplen:
                return  # cut short: tcpdump was stopped mid-write
            yield frame


def packets(path):
    """The IPv4 datagrams of an Ethernet capture, trimmed to their length."""
    for frame in frames(path):
        if len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        yield ip[:struct.unpack("!H", ip[2:4])[0]]


def clean(path, prefixes, least=1):
    nets = [ipaddress.ip_network(p) for p in prefixes.split(",")]
    inside = lambda a: any(ipaddress.ip_address(a) in n for n in nets)  # noqa
    n = errors = 0
    for raw in packets(path):
        check_l4(raw)
        n += 1
        addrs = [addr(raw[12:16]), addr(raw[16:20])]
        q = quoted(raw)
        if q:
            errors += 1
            qihl = (q[2][0] & 15) * 4
            if csum(q[2][:qihl]):
                bad(raw, "quoted IP header checksum")
            src, _, dst, _, _ = endpoints(q[2])
            addrs += [src, dst]
        for a in addrs:
            if inside(a):
                bad(raw, "inside address %s" % a)
    if n < least:
        print("FAIL: %s: %d IPv4 packets, want at least %d" % (path, n, least),
              file=sys.stderr)
        sys.exit(1)
    print("%d packets, %d ICMP errors: checksums valid, no address in %s"
          % (n, errors, prefixes))


def list_errors(path):
    for raw in packets(path):
        q = quoted(raw)
        if not q:
            continue
        check_l4(raw)
        src, sp, dst, dp, proto = endpoints(q[2])
        print("%d/%d %s > %s quoting %s:%d > %s:%d %s" % (
            q[0], q[1], addr(raw[12:16]), addr(raw[16:20]), src, sp, dst, dp,
            proto))


def list_echo(path):
    for raw in packets(path):
        ihl = (raw[0] & 15) * 4
        if raw[9] != 1 or raw[ihl] not in (0, 8):
            continue
        check_l4(raw)
        ident, seq = struct.unpack("!HH", raw[ihl + 4:ihl + 8])
        print("%s %s > %s %d %d" % ("request" if raw[ihl] == 8 else "reply",
                                    addr(raw[12:16]), addr(raw[16:20]), ident,
                                    seq))


def main(argv):
    if len(argv) == 5 and argv[:2] == ["clean", "--min"] and argv[2].isdigit():
        clean(argv[3], argv[4], int(argv[2]))
    elif len(argv) == 3 and argv[0] == "clean":
        clean(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "errors":
        list_errors(argv[1])
    elif len(argv) == 2 and argv[0] == "echo":
        list_echo(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
