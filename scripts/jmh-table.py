#!/usr/bin/env python3
"""Prints a Markdown table of a JMH JSON result: per benchmark and contender, the median of
all measurement iterations (every fork), the min-max range, and the ratio of medians to a
baseline contender run in the same command.

  python3 scripts/jmh-table.py RESULT.json PARAM BASELINE [PARAM=VALUE:BASELINE ...]

PARAM is the @Param naming the contender (e.g. executor); BASELINE the contender the others
are divided by; a further PARAM=VALUE:BASELINE picks another baseline for contenders whose
name starts with VALUE (e.g. executor=p4j-virtual:jdk-virtual).
"""
import json
import statistics
import sys


def main():
    path, param, baseline = sys.argv[1:4]
    special = {}
    for arg in sys.argv[4:]:
        key, base = arg.split(":")
        special[key.split("=", 1)[1]] = base
    rows = json.load(open(path))
    medians = {}
    for r in rows:
        bench = r["benchmark"].rsplit(".", 1)[1]
        who = r["params"][param]
        raw = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
        medians[(bench, who)] = (statistics.median(raw), min(raw), max(raw), len(raw),
                                 r["primaryMetric"]["scoreUnit"])
    print(f"| benchmark | {param} | median | range | n | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for (bench, who), (med, lo, hi, n, unit) in medians.items():
        base = next((b for prefix, b in special.items() if who.startswith(prefix)), baseline)
        ref = medians.get((bench, base))
        ratio = f"{med / ref[0]:.2f}x vs {base}" if ref and ref[0] else "—"
        print(f"| {bench} | {who} | {med:,.1f} {unit} | {lo:,.1f}–{hi:,.1f} | {n} | {ratio} |")


if __name__ == "__main__":
    main()
