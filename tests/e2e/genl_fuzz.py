#!/usr/bin/python3
"""Throws random generic netlink messages at the knat family.

  genl_fuzz.py [--seed N] [--count N] [--unprivileged] [--uapi knat.h]
  genl_fuzz.py --dumps [--uapi knat.h]
  genl_fuzz.py --events [--uapi knat.h]

Each message: the knat family, a random command (known ones mostly, some
beyond the last), NLM_F_ACK and sometimes NLM_F_DUMP, zero to six
attributes of random type (some unknown, some nested) with payloads that
are right, boundary values, strings with and without their NUL, or junk;
now and then the message is cut in the middle of an attribute. Every
message must be answered (an ack, an error or the end of a dump) within
five seconds.

Privileged (default): every refusal but EPERM and EOPNOTSUPP must carry an
extended ack (a message or the offending attribute). --unprivileged: the
caller lacks CAP_NET_ADMIN over the namespace; every known command must be
refused with EPERM and nothing but the refusal may come back.
Prints a histogram; exits 1 on a violation.

--dumps: asks every *_GET command (as a dump where it is one) and reads
every byte of the answers: the generic netlink header's reserved field and
all attribute padding must be zero (uninitialised kernel memory would
show there) and no value of eight bytes or more may hold what looks like
a kernel address (0xffff...). Prints what it read.

--events: joins the "events" multicast group, says "listening" on stderr
and reads every event, with the same byte checks, until SIGTERM; then
prints how many of each type it read. Exits 1 on a violation or if it
read none.
"""
import argparse
import os
import random
import re
import signal
import socket
import struct
import sys
from collections import Counter

NETLINK_GENERIC = 16
NETLINK_EXT_ACK = 11
NETLINK_GET_STRICT_CHK = 12
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 7, 1, 2
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP = 270, 1
UAPI = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "../../include/uapi/linux/knat.h")


def enum_names(text, name):
    """The members of enum @name in the uapi header, in order."""
    body = re.search(r"enum %s \{(.*?)\};" % name, text, re.S).group(1)
    return re.findall(r"^\s*([A-Z_0-9]+)\s*[,=]", body, re.M)


def nla(atype, payload):
    hdr = struct.pack("HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * (-len(payload) % 4)


def msg(mtype, flags, seq, payload):
    return struct.pack("IHHII", 16 + len(payload), mtype, flags, seq, 0) + payload


class Fuzzer:
    def __init__(self, seed, unprivileged, uapi):
        text = open(uapi).read()
        cmds = enum_names(text, "knat_cmd")
        self.ncmd = len(cmds) - 1           # the last command's number
        self.nattr = len(enum_names(text, "knat_attr")) - 1
        # The commands the family takes (KNAT_CMD_EVENT is only sent).
        self.taken = {i for i, c in enumerate(cmds)
                      if c not in ("KNAT_CMD_UNSPEC", "KNAT_CMD_EVENT")}
        self.r = random.Random(seed)
        self.unpriv = unprivileged
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.s.setsockopt(270, NETLINK_EXT_ACK, 1)
        self.s.settimeout(5)
        self.s.bind((0, 0))
        self.seq = 1
        self.family = self.resolve()

    def resolve(self):
        """The family's id; its multicast groups into self.groups."""
        payload = struct.pack("BBH", CTRL_CMD_GETFAMILY, 1, 0) + \
            nla(CTRL_ATTR_FAMILY_NAME, b"knat\0")
        self.s.send(msg(GENL_ID_CTRL, NLM_F_REQUEST, 0, payload))
        data = self.s.recv(65536)
        attrs = dict(attributes(data[20:]))
        self.groups = {}
        for _, grp in attributes(attrs.get(CTRL_ATTR_MCAST_GROUPS, b"")):
            g = dict(attributes(grp))
            self.groups[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = \
                struct.unpack("I", g[CTRL_ATTR_MCAST_GRP_ID])[0]
        if CTRL_ATTR_FAMILY_ID not in attrs:
            sys.exit("genl_fuzz: no knat family")
        return struct.unpack_from("H", attrs[CTRL_ATTR_FAMILY_ID])[0]

    def value(self):
        r = self.r
        kind = r.randrange(9)
        if kind == 0:
            return b""
        if kind == 1:
            return struct.pack(r.choice(["B", "H", "I", "Q"]), 0) if r.random() < .3 else \
                bytes(r.randrange(256) for _ in range(r.choice([1, 2, 4, 8])))
        if kind == 2:   # boundaries of the policies
            v = r.choice([0, 1, 5, 32, 33, 63, 64, 65, 100, 1023, 1024, 4095, 4096,
                          4097, 10000, 10001, 65535, 604800, 604801, 2**31, 2**32 - 1])
            return struct.pack("H" if v < 65536 and r.random() < .5 else "I", v & 0xffffffff)
        if kind == 3:   # an address, ours or anyone's
            return socket.inet_aton(r.choice(["203.0.113.%d" % r.randrange(256),
                                              "10.0.1.%d" % r.randrange(256),
                                              "0.0.0.0", "255.255.255.255"]))
        if kind == 4:   # a string, with its NUL or without, short or long
            s = "".join(r.choice("abcxyz019-_") for _ in range(r.choice([0, 1, 5, 14, 15, 16, 40])))
            return s.encode() + (b"\0" if r.random() < .7 else b"")
        if kind == 5:   # a prefix, nested
            return nla(1, socket.inet_aton("203.0.113.%d" % r.randrange(256))) + \
                nla(2, bytes([r.choice([0, 8, 24, 25, 32, 33, 255])]))
        if kind == 6:   # nested junk
            return b"".join(nla(r.randrange(6), self.value()) for _ in range(r.randrange(3)))
        return bytes(r.randrange(256) for _ in range(r.randrange(48)))

    def message(self):
        r = self.r
        cmd = r.randrange(self.ncmd + 3)
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if r.random() < .25 else 0)
        attrs = b""
        for _ in range(r.randrange(7)):
            atype = r.choice([r.randrange(1, self.nattr),
                              r.randrange(1, self.nattr),
                              r.randrange(self.nattr + 6), 0x7fff])
            if r.random() < .15:
                atype |= 0x8000     # NLA_F_NESTED
            attrs += nla(atype, self.value())
        if attrs and r.random() < .05:
            attrs = attrs[:r.randrange(len(attrs))]     # cut mid-attribute
        if attrs and r.random() < .03:
            attrs = struct.pack("HH", 4000, 1) + attrs  # claims more than there is
        self.seq += 1
        return cmd, flags, msg(self.family, flags, self.seq,
                               struct.pack("BBH", cmd, 1, 0) + attrs)

    def answer(self, seq):
        """(errno, extack present, data messages) of the reply to @seq."""
        data_msgs = 0
        while True:
            try:
                buf = self.s.recv(1 << 20)
            except socket.timeout:
                return None, False, data_msgs
            off = 0
            while off + 16 <= len(buf):
                mlen, mtype, mflags, mseq, _ = struct.unpack_from("IHHII", buf, off)
                if mlen < 16:
                    break
                if mseq == seq:
                    if mtype == NLMSG_ERROR:
                        err = -struct.unpack_from("i", buf, off + 16)[0]
                        return err, bool(mflags & NLM_F_ACK_TLVS), data_msgs
                    if mtype == NLMSG_DONE:
                        err = -struct.unpack_from("i", buf, off + 16)[0]
                        return err, bool(mflags & NLM_F_ACK_TLVS), data_msgs
                    data_msgs += 1
                off += (mlen + 3) & ~3

    def request(self, cmd, attrs):
        """One request of our own: (errno, extended ack present)."""
        self.seq += 1
        self.s.send(msg(self.family, NLM_F_REQUEST | NLM_F_ACK, self.seq,
                        struct.pack("BBH", cmd, 1, 0) + attrs))
        err, extack, _ = self.answer(self.seq)
        return err, extack

    def boundaries(self, text):
        """Policy edges that once were wrong: timeouts (seconds * HZ
        overflowed 32 bits past 49 days; now at most a week) and cooling
        (cooling * HZ wrapped: 4294968 s cooled 0.7 s at HZ=1000; now at
        most a day, as the CLI says)."""
        cmds, attrs = enum_names(text, "knat_cmd"), enum_names(text, "knat_attr")
        cmd = cmds.index("KNAT_CMD_CONFIG_SET")
        erange = errno_of("ERANGE")
        timeout_edges = ((604801, erange), (2**32 - 1, erange), (0, erange),
                         (604800, 0), (300, 0))
        cooling_edges = ((86401, erange), (4294968, erange), (2**32 - 1, erange),
                         (0, 0), (86400, 0), (120, 0))
        bad = []
        for name, edges in (("KNAT_A_CFG_TIMEOUT_UDP", timeout_edges),
                            ("KNAT_A_CFG_TIMEOUT_TCP_EST", timeout_edges),
                            ("KNAT_A_CFG_TIMEOUT_TCP_TRANS", timeout_edges),
                            ("KNAT_A_CFG_TIMEOUT_ICMP", timeout_edges),
                            ("KNAT_A_CFG_COOLING", cooling_edges)):
            a = attrs.index(name)
            for value, want in edges:
                err, extack = self.request(cmd, nla(a, struct.pack("I", value)))
                if err != want or (err and not extack):
                    bad.append("%s=%d: %s%s, want %s" % (
                        name, value, os.strerror(err) if err else "ok",
                        "" if extack or not err else " without an extended ack",
                        os.strerror(want) if want else "ok"))
        for b in bad:
            print("VIOLATION: " + b)
        return not bad

    def run(self, count):
        outcome, bad = Counter(), []
        for i in range(count):
            cmd, flags, m = self.message()
            self.s.send(m)
            err, extack, data = self.answer(self.seq)
            name = os.strerror(err) if err else "ok"
            outcome[name] += 1
            known = cmd in self.taken
            if err is None:
                bad.append("message %d (cmd %d): no answer in 5 s" % (i, cmd))
            elif self.unpriv:
                want = errno_of("EPERM") if known else errno_of("EOPNOTSUPP")
                if err != want or data:
                    bad.append("message %d (cmd %d): %s, %d data messages, want %s"
                               % (i, cmd, name, data, os.strerror(want)))
            elif err and err not in (errno_of("EPERM"), errno_of("EOPNOTSUPP")) \
                    and not extack:
                bad.append("message %d (cmd %d, flags %#x): %s without an extended ack: %s"
                           % (i, cmd, flags, name, m[20:].hex()))
        for k, v in outcome.most_common():
            print("  %6d  %s" % (v, k))
        for b in bad[:20]:
            print("VIOLATION: " + b)
        return not bad


def attributes(data):
    """(type without flags, payload) of each attribute at this level."""
    off = 0
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from("HH", data, off)
        if alen < 4:
            return
        yield atype & 0x3fff, data[off + 4:off + alen]
        off += (alen + 3) & ~3


def kernel_pointer(payload):
    """A little-endian 64-bit word at a 4-byte offset in the upper half."""
    return any(struct.unpack_from("<Q", payload, off)[0] >> 48 == 0xffff
               for off in range(0, len(payload) - 7, 4))


def read_attrs(data, where, bad):
    """Walks attributes (nested ones too); returns how many it read."""
    off = n = 0
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from("HH", data, off)
        if alen < 4 or off + alen > len(data):
            bad.append("%s: attribute %d claims %d bytes" % (where, atype, alen))
            return n
        payload = data[off + 4:off + alen]
        pad = data[off + alen:off + ((alen + 3) & ~3)]
        if any(pad):
            bad.append("%s: attribute %d: padding %s" % (where, atype & 0x3fff, pad.hex()))
        if atype & 0x8000:          # NLA_F_NESTED
            n += read_attrs(payload, "%s/%d" % (where, atype & 0x3fff), bad)
        elif len(payload) >= 8 and kernel_pointer(payload):
            bad.append("%s: attribute %d holds a kernel address: %s"
                       % (where, atype, payload.hex()))
        n += 1
        off += (alen + 3) & ~3
    return n


def dumps(f, text):
    """Every byte of every *_GET answer; False on a violation."""
    bad = []
    for cmd, name in enumerate(enum_names(text, "knat_cmd")):
        if not name.endswith("GET") and name != "KNAT_CMD_GET_INFO":
            continue
        msgs = attrs = 0
        for flags in (NLM_F_DUMP, 0):
            f.seq += 1
            f.s.send(msg(f.family, NLM_F_REQUEST | NLM_F_ACK | flags, f.seq,
                         struct.pack("BBH", cmd, 1, 0)))
            err = None
            while err is None:
                buf = f.s.recv(1 << 20)
                off = 0
                while off + 16 <= len(buf):
                    mlen, mtype, _, mseq, _ = struct.unpack_from("IHHII", buf, off)
                    m = buf[off:off + mlen]
                    off += (mlen + 3) & ~3
                    if mseq != f.seq:
                        continue
                    if mtype in (NLMSG_ERROR, NLMSG_DONE):
                        err = -struct.unpack_from("i", m, 16)[0]
                        continue
                    msgs += 1
                    if struct.unpack_from("H", m, 18)[0]:
                        bad.append("%s: genl reserved field %s" % (name, m[18:20].hex()))
                    attrs += read_attrs(m[20:], name, bad)
            if err != errno_of("EOPNOTSUPP"):
                break
        print("  %-26s %5d messages %7d attributes%s" % (
            name, msgs, attrs, "" if not err else ": " + os.strerror(err)))
        if err or not msgs:
            bad.append("%s: %s, %d messages" % (name, os.strerror(err) if err else "ok", msgs))
    for b in bad[:20]:
        print("VIOLATION: " + b)
    return not bad


def events(f, text):
    """Every byte of every event until SIGTERM; False on a violation."""
    names = enum_names(text, "knat_attr")
    ev_attr = names.index("KNAT_A_EVENT")
    ev_names = [n[len("KNAT_EVENT_"):].lower() for n in enum_names(text, "knat_event")]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.bind((0, 0))
    s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, f.groups["events"])
    s.settimeout(0.2)
    print("listening", file=sys.stderr, flush=True)
    bad, kinds = [], Counter()
    while not stop:
        try:
            buf = s.recv(1 << 16)
        except socket.timeout:
            continue
        off = 0
        while off + 16 <= len(buf):
            mlen, mtype, _, _, _ = struct.unpack_from("IHHII", buf, off)
            m = buf[off:off + mlen]
            off += (mlen + 3) & ~3
            if mlen < 20 or mtype != f.family:
                bad.append("event: message type %d, %d bytes" % (mtype, mlen))
                continue
            if struct.unpack_from("H", m, 18)[0]:
                bad.append("event: genl reserved field %s" % m[18:20].hex())
            read_attrs(m[20:], "event", bad)
            kind = dict(attributes(m[20:])).get(ev_attr, b"?")
            if len(kind) != 1 or kind[0] >= len(ev_names):
                bad.append("event: type %s" % kind.hex())
            else:
                kinds[ev_names[kind[0]]] += 1
    print("events: %d read, %s" % (sum(kinds.values()),
          ", ".join("%s: %d" % k for k in sorted(kinds.items()))))
    if not kinds:
        bad.append("no event read")
    for b in bad[:20]:
        print("VIOLATION: " + b)
    return not bad


def errno_of(name):
    import errno
    return getattr(errno, name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--unprivileged", action="store_true")
    ap.add_argument("--uapi", default=UAPI, help="the family's header")
    ap.add_argument("--dumps", action="store_true", help="read every dump")
    ap.add_argument("--events", action="store_true", help="read every event")
    a = ap.parse_args()
    f = Fuzzer(a.seed, a.unprivileged, a.uapi)
    if a.dumps:
        sys.exit(0 if dumps(f, open(a.uapi).read()) else 1)
    if a.events:
        sys.exit(0 if events(f, open(a.uapi).read()) else 1)
    print("genl_fuzz: seed %d, %d messages, %d commands, %d attributes%s"
          % (a.seed, a.count, f.ncmd, f.nattr, ", unprivileged" if a.unprivileged else ""))
    edges = a.unprivileged or f.boundaries(open(a.uapi).read())
    sys.exit(0 if f.run(a.count) and edges else 1)


if __name__ == "__main__":
    main()
