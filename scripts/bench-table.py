#!/usr/bin/env python3
"""Markdown tables from `parallel4j bench --json` rows: one table per scenario, a row per
param and metric, a column per engine (or loop contender), medians as the bench measured them.

    python3 scripts/bench-table.py r.json > tables.md
"""
import json
import sys


def fmt(v, unit):
    if v is None:
        return ""
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.2f}M"
    if abs(v) >= 1e4:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.4f}"


def main(path):
    rows = json.load(open(path))
    scenarios = []
    for r in rows:
        if r["scenario"] not in scenarios:
            scenarios.append(r["scenario"])
    for s in scenarios:
        mine = [r for r in rows if r["scenario"] == s]
        engines = []
        keys = []
        for r in mine:
            if r["engine"] not in engines:
                engines.append(r["engine"])
            k = (r["param"], r["metric"], r["unit"])
            if k not in keys:
                keys.append(k)
        value = {(r["param"], r["metric"], r["engine"]): r["value"] for r in mine}
        print(f"### {s}\n")
        print("| param | metric | " + " | ".join(engines) + " |")
        print("|---|---|" + "---:|" * len(engines))
        for param, metric, unit in keys:
            cells = [fmt(value.get((param, metric, e)), unit) for e in engines]
            print(f"| {param} | {metric} ({unit}) | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main(sys.argv[1])
