#!/usr/bin/python3
"""make bench, last step: reads the guests' results (JSON lines: the
icount guest's icount.jsonl, then the wall-clock guest's bench.jsonl),
prints the table
(median and spread of the repetitions, ratios between modes measured in
the same run, the targets of issue 6), writes RESULTS_DIR/DATE.json and
one PNG chart per benchmark (gnuplot).

Usage: report.py BENCH.jsonl RESULTS_DIR MACHINE-DESCRIPTION
"""
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

MODES = ("plain", "nft", "knat")
MODE_NAMES = {"plain": "plain forwarding", "nft": "nftables masquerade",
              "knat": "knat"}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pick(rows, bench, **match):
    return [r for r in rows if r["bench"] == bench and
            all(r.get(k) == v for k, v in match.items())]


def spread(values):
    """median, min, max"""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values)}


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def summarise(rows):
    s = {"forward": {}, "tcp": {}, "new_mappings": {}, "lookup": {},
         "alloc": {}}
    for flows in sorted({r["flows"] for r in pick(rows, "forward")}, key=str):
        d = {m: spread([r["pps"] for r in pick(rows, "forward", mode=m,
                                                flows=flows)]) for m in MODES}
        d["knat_over_nft"] = ratio(d["knat"]["median"], d["nft"]["median"])
        d["knat_over_plain"] = ratio(d["knat"]["median"], d["plain"]["median"])
        before = [r["pps"] for r in pick(rows, "forward", mode="before", flows=flows)]
        if before:  # an earlier commit's knat.ko, same run (KNAT_BENCH_BASELINE)
            d["before"] = spread(before)
            d["knat_over_before"] = ratio(d["knat"]["median"], d["before"]["median"])
        s["forward"][flows] = d
    for streams in sorted({r["streams"] for r in pick(rows, "tcp")}):
        d = {m: spread([r["bits_per_second"] for r in
                        pick(rows, "tcp", mode=m, streams=streams)])
             for m in MODES}
        d["knat_over_nft"] = ratio(d["knat"]["median"], d["nft"]["median"])
        d["knat_over_plain"] = ratio(d["knat"]["median"], d["plain"]["median"])
        before = [r["bits_per_second"] for r in
                  pick(rows, "tcp", mode="before", streams=streams)]
        if before:
            d["before"] = spread(before)
            d["knat_over_before"] = ratio(d["knat"]["median"], d["before"]["median"])
        s["tcp"][streams] = d
    for m in ("knat", "nft", "before"):
        r = pick(rows, "new_mappings", mode=m)
        if r:
            s["new_mappings"][m] = {
                "per_second": spread([x["per_second"] for x in r]),
                "entries": spread([x["entries"] for x in r]),
                # A reading taken while the previous run's namespace was
                # still being freed comes out negative: not a figure.
                "bytes_per_entry": spread([x["bytes_per_entry"] for x in r
                                           if x["bytes_per_entry"] > 0]),
                "slab_object": r[0]["slab_object"]}
    nm = s["new_mappings"]
    if "knat" in nm and "nft" in nm:
        nm["knat_over_nft"] = ratio(nm["knat"]["per_second"]["median"],
                                    nm["nft"]["per_second"]["median"])
    if "knat" in nm and "before" in nm:
        nm["knat_over_before"] = ratio(nm["knat"]["per_second"]["median"],
                                       nm["before"]["per_second"]["median"])
    s["icount"] = summarise_icount(rows)
    for r in pick(rows, "lookup"):
        s["lookup"].setdefault(r["mappings"], {})[r["cpus"]] = {
            "random": r["ns_per_op"], "hot": r["ns_per_op_hot"]}
    for r in pick(rows, "alloc"):
        s["alloc"].setdefault(r["use_pct"], {})[r["cpus"]] = {
            k: r[k] for k in ("ns_per_op", "median_ns", "p99_ns", "worst_ns",
                              "refused")}
    return s

ICOUNT_MODES = ("plain", "nft", "ft", "knat", "slow", "before")
ICOUNT_NAMES = {"plain": "plain forwarding",
                "nft": "nftables masquerade (conntrack + nf_nat)",
                "ft": "nftables masquerade + flowtable",
                "knat": "knat (fast path)",
                "slow": "knat, normal path (fastpath 0)",
                "before": "knat, baseline commit"}


def normal_path(d):
    """knat's own normal path: what item 2 of issue 18 measures against
    nf_nat (the fast path is item 3's, against the flowtable)."""
    return d.get("slow") or d.get("knat")


def icount_label(key):
    """A chart's name for a set of runs: "1", "4096 unshared", "new"."""
    if key == "new":
        return "new flows"
    if key == "new steady":
        return "new flows, steady table"
    n, _, how = key.partition(" ")
    n += " flow" if n == "1" else " flows"
    return n + ", " + how if how else n


def summarise_icount(rows):
    """Instruction counting: the guest's clock runs a nanosecond per
    instruction, so packets/s are packets per 10^9 instructions. Per
    FLOWS ("new": a new flow every packet) and mode: the rate, the
    instructions a packet (10^9 / rate) and their excess over plain
    forwarding of the same packets; then the ratios of issue 18."""
    out = {}
    sets = [("icount_forward", f, str(f)) for f in
            sorted({r["flows"] for r in pick(rows, "icount_forward")})]
    sets += [("icount_unshared", f, "%s unshared" % f) for f in
             sorted({r["flows"] for r in pick(rows, "icount_unshared")})]
    if pick(rows, "icount_new"):
        sets.append(("icount_new", "new", "new"))
    if pick(rows, "icount_steady"):
        sets.append(("icount_steady", "new", "new steady"))
    for bench, flows, key in sets:
        d = {}
        for m in ICOUNT_MODES:
            sp = spread([r["pps"] for r in pick(rows, bench, mode=m, flows=flows)
                         if r["pps"] > 0])
            if sp:
                sp["insns"] = round(1e9 / sp["median"])
                d[m] = sp
        for m in d:
            d[m]["over_plain"] = (d[m]["insns"] - d["plain"]["insns"]
                                  if "plain" in d else None)
        out[key] = d
    return out


def icount_ratios(ic):
    """What issue 18 asks of knat, from one run: its overhead over plain
    against nf_nat's (established) and conntrack's (new flows), its rate
    against the flowtable's, and against the baseline commit's."""
    r = {}
    for flows, d in ic.items():
        if "knat" not in d:
            continue
        k = d["knat"]
        over = overhead_ratio(normal_path(d), d.get("nft"))
        if over is not None:
            r["%s: knat normal path overhead / nft overhead" % flows] = over
        if "ft" in d:
            r["%s: knat packets/s / flowtable" % flows] = \
                ratio(k["median"], d["ft"]["median"])
        over = overhead_ratio(normal_path(d), d.get("before"))
        if over is not None:
            r["%s: knat overhead / baseline's overhead" % flows] = over
    return r


def overhead_ratio(a, b):
    """a's instructions over plain against b's; None unless both are
    measured and positive (a negative one says the run was disturbed)."""
    if not a or not b or not a.get("over_plain") or not b.get("over_plain"):
        return None
    if a["over_plain"] <= 0 or b["over_plain"] <= 0:
        return None
    return round(a["over_plain"] / b["over_plain"], 3)


def targets(s):
    """(what, measured, wanted, met) for each target of issue 6."""
    t = []

    def add(what, got, want, met):
        t.append({"target": what, "measured": got, "wanted": want,
                  "met": bool(met) if got is not None else None})
    for flows, d in s["icount"].items():
        k, n = d.get("knat"), d.get("nft")
        r = overhead_ratio(normal_path(d), n)
        if r is not None:
            if flows == "new":
                add("icount, new flow a packet: knat / conntrack overhead",
                    r, "<= 0.3", r <= 0.3)
            elif flows == "new steady":
                add("icount, new flow a packet, steady table: knat / conntrack overhead",
                    r, "<= 0.3", r <= 0.3)
            else:
                add("icount, %s flows: knat normal path / nf_nat overhead" % flows,
                    r, "<= 0.25", r <= 0.25)
        if k and "ft" in d:
            r = ratio(k["median"], d["ft"]["median"])
            add("icount, %s flows: knat / flowtable packets/s" % flows,
                r, ">= 1.1", r >= 1.1)
    for flows, d in s["forward"].items():
        add("established, %s flows: knat / nftables" % flows,
            d["knat_over_nft"], ">= 1.3", (d["knat_over_nft"] or 0) >= 1.3)
        add("established, %s flows: knat / plain" % flows,
            d["knat_over_plain"], ">= 0.9", (d["knat_over_plain"] or 0) >= 0.9)
    nm = s["new_mappings"]
    if "knat_over_nft" in nm:
        add("new mappings/s: knat / conntrack + nf_nat", nm["knat_over_nft"],
            ">= 2", nm["knat_over_nft"] >= 2)
    if "knat" in nm:
        b = nm["knat"]["bytes_per_entry"]["median"]
        add("bytes per mapping at 1 M", b, "<= 128", b <= 128)
    a = s["alloc"]
    if 1 in a and 99 in a:
        r = ratio(a[99][1]["median_ns"], a[1][1]["median_ns"])
        add("allocation at 99 % / at 1 % (median)", r, "<= 2",
            r is not None and r <= 2)
    lk = s["lookup"]
    if 1000 in lk and 1000000 in lk:
        r = ratio(lk[1000000][1]["hot"], lk[1000][1]["hot"])
        add("lookup at 1 M / at 1 k (1000 hot flows)", r, "<= 1.5",
            r is not None and r <= 1.5)
        r = ratio(lk[1000000][1]["random"], lk[1000][1]["random"])
        add("lookup at 1 M / at 1 k (random over the table)", r, "<= 1.5",
            r is not None and r <= 1.5)
    return t


def fmt(n):
    if n is None:
        return "-"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            return "%.2f%s" % (n / div, unit)
    return "%.0f" % n


def cell(sp):
    if not sp:
        return "-"
    return "%s [%s-%s]" % (fmt(sp["median"]), fmt(sp["min"]), fmt(sp["max"]))


def print_table(s, t, machine):
    print("\nknat benchmarks (%s); median [min-max] of the repetitions" % machine)
    if s["icount"]:
        print("\n0. instruction counting: packets per 10^9 instructions "
              "(64-byte frames; sender and sink included)")
        print("%-14s %-42s %-26s %12s %11s" % ("flows", "mode", "packets/s",
                                              "insns/packet", "over plain"))
        for flows, d in s["icount"].items():
            for m in ICOUNT_MODES:
                if m in d:
                    x = d[m]
                    print("%-14s %-42s %-26s %12d %11s" % (
                        flows, ICOUNT_NAMES[m], cell(x), x["insns"],
                        "-" if x["over_plain"] is None else
                        "%+d" % x["over_plain"]))
        for what, r in icount_ratios(s["icount"]).items():
            print("   %-48s %s" % (what, r))
    if s["forward"]:
        print("\n1. established flows, packets/s at the sink (64-byte frames)")
        print("%-7s %-22s %-22s %-22s %8s %8s" % (
            "flows", "plain", "nftables", "knat", "k/nft", "k/plain"))
    for flows, d in s["forward"].items():
        print("%-7s %-22s %-22s %-22s %8s %8s" % (
            flows, cell(d["plain"]), cell(d["nft"]), cell(d["knat"]),
            d["knat_over_nft"], d["knat_over_plain"]))
    for flows, d in s["forward"].items():
        if "before" in d:
            print("%-7s baseline commit's knat %s: knat / baseline %s" % (
                flows, cell(d["before"]), d["knat_over_before"]))
    nm = s["new_mappings"]
    if nm:
        print("\n2-3. new mappings to 1 M entries (each packet a new flow)")
        print("%-26s %-24s %-12s %-14s %s" % ("", "per second", "entries",
                                             "bytes/entry", "slab object"))
        for m in ("knat", "before", "nft"):
            if m in nm:
                d = nm[m]
                print("%-26s %-24s %-12s %-14s %s" % (
                    {"knat": "knat", "before": "knat, baseline commit"}.get(
                        m, "conntrack + nf_nat"),
                    cell(d["per_second"]), fmt(d["entries"]["median"]),
                    d["bytes_per_entry"]["median"], d["slab_object"]))
        print("knat / conntrack: %s" % nm.get("knat_over_nft"))
        if "knat_over_before" in nm:
            print("knat / baseline commit: %s" % nm["knat_over_before"])
    if s["lookup"]:
        print("\n4. lookup ns/op: 1000 hot flows / random keys; 1 CPU | 2 CPUs at once")
        for n, d in sorted(s["lookup"].items()):
            print("   %8d mappings: %6s / %6s | %6s / %6s" % (
                n, d[1]["hot"], d[1]["random"], d.get(2, {}).get("hot"),
                d.get(2, {}).get("random")))
    if s["alloc"]:
        print("   port allocation ns: median, p99, worst single; 1 CPU | 2 CPUs")
        for u, d in sorted(s["alloc"].items()):
            e = d.get(2, {})
            print("   %3d %% pool use: %6s %7s %8s | %6s %7s %8s" % (
                u, d[1]["median_ns"], d[1]["p99_ns"], d[1]["worst_ns"],
                e.get("median_ns"), e.get("p99_ns"), e.get("worst_ns")))
    if s["tcp"]:
        print("\n5. TCP through the router, bits/s (iperf3)")
        for st, d in s["tcp"].items():
            print("   %d stream(s): plain %s, nftables %s, knat %s (k/nft %s, k/plain %s)" % (
                st, fmt(d["plain"]["median"]), fmt(d["nft"]["median"]),
                fmt(d["knat"]["median"]), d["knat_over_nft"],
                d["knat_over_plain"]))
            if "before" in d:
                print("      baseline commit's knat %s: knat / baseline %s" % (
                    fmt(d["before"]["median"]), d["knat_over_before"]))
    print("\ntargets")
    for x in t:
        print("   %-48s %8s  (%s)  %s" % (x["target"], x["measured"], x["wanted"],
                                          {True: "met", False: "MISSED",
                                           None: "-"}[x["met"]]))


def gnuplot(script, data, png):
    with tempfile.TemporaryDirectory() as tmp:
        dat = os.path.join(tmp, "data")
        with open(dat, "w") as f:
            f.write(data)
        subprocess.run(["gnuplot"], input=(
            "set terminal pngcairo size 800,480 font 'DejaVu Sans,10'\n"
            "set output '%s'\nset grid ytics\nset key top left\n"
            "set termoption noenhanced\nset offsets 0.5, 0.5, 0, 0\n" % png +
            script.replace("DATA", dat)).encode(), check=True)


BARS = ("set style data histograms\nset style histogram clustered gap 1\n"
        "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset yrange [0:*]\n")


def png(outdir, name, prefix, made):
    """The path of chart NAME of the run PREFIX names, noted in MADE."""
    made.append(prefix + "-" + name + ".png")
    return os.path.join(outdir, made[-1])


def charts(s, outdir, machine, prefix):
    """The PNG charts, PREFIX-NAME.png; their names."""
    made = []
    if s["icount"]:
        modes = [m for m in ICOUNT_MODES if any(m in d for d in s["icount"].values())]
        data = "".join(
            "\"%s\" %s\n" % (icount_label(f),
                            " ".join(str(d[m]["insns"]) if m in d else "-"
                                     for m in modes))
            for f, d in s["icount"].items())
        plot = ", ".join("'%s' using %d%s title '%s'" % (
            "DATA" if i == 0 else "", i + 2, ":xtic(1)" if i == 0 else "",
            ICOUNT_NAMES[m]) for i, m in enumerate(modes))
        gnuplot(BARS + "set datafile missing '-'\n"
                "set title 'Instructions a packet, sender and sink included "
                "(qemu -icount)'\nset ylabel 'instructions per packet'\n"
                "set key below maxrows 3\n"
                "set terminal pngcairo size 1000,520 font 'DejaVu Sans,10'\n"
                "set termoption noenhanced\n"
                "plot " + plot + "\n", data, png(outdir, "icount", prefix, made))
    if s["forward"]:
        data = "".join(
            "%s %d %d %d\n" % (f, d["plain"]["median"], d["nft"]["median"],
                               d["knat"]["median"]) for f, d in s["forward"].items())
        gnuplot(BARS + "set title 'Established UDP flows, 64-byte frames (%s)'\n"
                "set xlabel 'concurrent flows'\nset ylabel 'packets/s forwarded'\n"
                "plot 'DATA' using 2:xtic(1) title 'plain forwarding', '' using 3 "
                "title 'nftables masquerade', '' using 4 title 'knat'\n" % machine,
                data, png(outdir, "forwarding", prefix, made))
    if s["tcp"]:
        data = "".join(
            "%s %.1f %.1f %.1f\n" % (st, d["plain"]["median"] / 1e6,
                                     d["nft"]["median"] / 1e6,
                                     d["knat"]["median"] / 1e6)
            for st, d in s["tcp"].items())
        gnuplot(BARS + "set title 'TCP through the router, iperf3'\n"
                "set xlabel 'streams'\nset ylabel 'Mbit/s'\n"
                "plot 'DATA' using 2:xtic(1) title 'plain forwarding', '' using 3 "
                "title 'nftables masquerade', '' using 4 title 'knat'\n",
                data, png(outdir, "tcp", prefix, made))
    nm = s["new_mappings"]
    if "knat" in nm and "nft" in nm:
        data = "\"new mappings/s\" %d %d\n" % (
            nm["knat"]["per_second"]["median"], nm["nft"]["per_second"]["median"])
        gnuplot(BARS + "set title 'New mappings per second, up to 1 M entries'\n"
                "set ylabel 'mappings/s'\n"
                "plot 'DATA' using 2:xtic(1) title 'knat', '' using 3 "
                "title 'conntrack + nf_nat'\n", data,
                png(outdir, "new_mappings", prefix, made))
        data = "\"bytes per entry at 1 M\" %d %d\n" % (
            nm["knat"]["bytes_per_entry"]["median"],
            nm["nft"]["bytes_per_entry"]["median"])
        gnuplot(BARS + "set title 'Kernel memory per mapping at 1 M (table share included)'\n"
                "set ylabel 'bytes'\n"
                "plot 'DATA' using 2:xtic(1) title 'knat', '' using 3 "
                "title 'conntrack + nf_nat'\n", data,
                png(outdir, "memory", prefix, made))
    if s["lookup"]:
        data = "".join(
            "%s %s %s %s %s\n" % (n, d[1]["hot"], d.get(2, d[1])["hot"],
                                  d[1]["random"], d.get(2, d[1])["random"])
            for n, d in sorted(s["lookup"].items()))
        gnuplot(BARS + "set title 'knat lookup cost by table size'\n"
                "set xlabel 'mappings'\nset ylabel 'ns per lookup'\n"
                "plot 'DATA' using 2:xtic(1) title '1000 hot flows, 1 CPU', '' "
                "using 3 title '1000 hot flows, 2 CPUs', '' using 4 title "
                "'random keys, 1 CPU', '' using 5 title 'random keys, 2 CPUs'\n",
                data, png(outdir, "lookup", prefix, made))
    if s["alloc"]:
        data = "".join(
            "%s%% %s %s %s %s\n" % (u, d[1]["median_ns"], d.get(2, {}).get("median_ns", 0),
                                    d[1]["worst_ns"], d.get(2, {}).get("worst_ns", 0))
            for u, d in sorted(s["alloc"].items()))
        gnuplot(BARS + "set title 'knat port allocation cost by pool use'\n"
                "set xlabel 'pool use'\nset ylabel 'ns per allocation'\n"
                "set logscale y\nset yrange [*:*]\n"
                "plot 'DATA' using 2:xtic(1) title 'median, 1 CPU', '' using 3 "
                "title 'median, 2 CPUs', '' using 4 title 'worst, 1 CPU', '' "
                "using 5 title 'worst, 2 CPUs'\n", data,
                png(outdir, "alloc", prefix, made))
    return made


def main(argv):
    rows = load(argv[1])
    outdir, machine = argv[2], argv[3]
    os.makedirs(outdir, exist_ok=True)
    s = summarise(rows)
    t = targets(s)
    print_table(s, t, machine)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    # A second run the same day keeps the first's results and charts.
    name, n = date, 1
    while os.path.exists(os.path.join(outdir, name + ".json")):
        n += 1
        name = "%s-%d" % (date, n)
    made = charts(s, outdir, machine, name)
    # The latest of each chart under its plain name, as the README shows.
    for m in made:
        shutil.copyfile(os.path.join(outdir, m),
                        os.path.join(outdir, m[len(name) + 1:]))
    with open(os.path.join(outdir, name + ".json"), "w") as f:
        json.dump({"date": date, "machine": machine, "summary": s,
                   "targets": t, "charts": made, "raw": rows}, f, indent=1)
    print("\nresults: %s/%s.json; charts: %s" % (outdir, name, ", ".join(made)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
