#!/usr/bin/python3
"""Names the [knat] samples of a perf profile (perf in the guest finds no
symbols for an out-of-tree module): reads profile lines on stdin, the
module's .text symbols from `objdump -t KO`, prints each function's share.

  ksyms.py KO < profile-NAME.txt
"""
import bisect
import re
import subprocess
import sys

syms = []
for line in subprocess.run(["objdump", "-t", sys.argv[1]], capture_output=True,
                           text=True, check=True).stdout.splitlines():
    f = line.split()
    if len(f) == 6 and f[2] == "F" and f[3] == ".text":
        syms.append((int(f[0], 16), f[5]))
syms.sort()
addrs = [a for a, _ in syms]
share = {}
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+\[knat\]\s+\[k\] 0x([0-9a-f]+)", line)
    if m:
        i = bisect.bisect_right(addrs, int(m.group(2), 16)) - 1
        name = syms[i][1] if i >= 0 else "?"
        share[name] = share.get(name, 0) + float(m.group(1))
for name, pct in sorted(share.items(), key=lambda x: -x[1])[:12]:
    print("    %6.2f%%  knat  %s" % (pct, name))
