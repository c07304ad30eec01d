#!/usr/bin/env python3
"""The Python side of `parallel4j bench`: the systems the article describes, on the same work.

Standard library only. Prints a JSON array of rows shaped as parallel4j's own:
{"scenario", "engine", "param", "metric", "value", "unit"}, engines python-serial,
python-threads, python-processpool (concurrent.futures), python-pool (multiprocessing.Pool)
and python-asyncio.

    python3 python_side.py --scenarios overhead,cpu,io [--quick] [--workers N] [--tsv]
"""
import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
import multiprocessing
from multiprocessing import Pool


def plus_one(x):
    return x + 1


def sum_primes(n):
    """Parallel Python's example: the sum of the primes below n, by trial division."""
    total = 0
    for x in range(2, n):
        if x % 2 == 0:
            prime = x == 2
        else:
            prime = True
            f = 3
            while f * f <= x:
                if x % f == 0:
                    prime = False
                    break
                f += 2
        if prime:
            total += x
    return total


def wait_for(seconds):
    time.sleep(seconds)
    return seconds


def timed(rounds, body):
    """The median wall time of `rounds` calls of body, in seconds."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        body()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def row(scenario, engine, param, metric, value, unit):
    return dict(scenario=scenario, engine=engine, param=param, metric=metric,
                value=float(value), unit=unit)


def start_ms(rounds, workers, context):
    """A new ProcessPoolExecutor to its first result, median in ms; its shutdown not counted,
    nor the first pool (imports)."""
    times = []
    for i in range(rounds + 1):
        begin = time.perf_counter()
        with ProcessPoolExecutor(workers, mp_context=context) as ex:
            ex.submit(plus_one, 0).result()
            if i > 0:
                times.append((time.perf_counter() - begin) * 1000)
    return statistics.median(times)


def overhead(n, rounds, workers):
    xs = list(range(n))
    rows = [row("overhead", "python-serial", "mode=loop", "tasks_per_s",
                n / timed(rounds, lambda: [plus_one(x) for x in xs]), "1/s")]
    rows.append(row("overhead", "python-processpool", "mode=start", "start_ms",
                    start_ms(rounds, workers, None), "ms"))
    rows.append(row("overhead", "python-processpool", "mode=start,context=spawn", "start_ms",
                    start_ms(rounds, workers, multiprocessing.get_context("spawn")), "ms"))
    with ThreadPoolExecutor(workers) as ex:
        t = timed(rounds, lambda: [f.result() for f in [ex.submit(plus_one, x) for x in xs]])
        rows.append(row("overhead", "python-threads", "mode=submit", "tasks_per_s", n / t, "1/s"))
    with ProcessPoolExecutor(workers) as ex:
        ex.submit(plus_one, 0).result()
        t = timed(rounds, lambda: [f.result() for f in [ex.submit(plus_one, x) for x in xs]])
        rows.append(row("overhead", "python-processpool", "mode=submit", "tasks_per_s", n / t, "1/s"))
        t = timed(rounds, lambda: list(ex.map(plus_one, xs)))
        rows.append(row("overhead", "python-processpool", "mode=map", "tasks_per_s", n / t, "1/s"))
        latencies = []
        for x in range(min(n, 2000)):
            start = time.perf_counter()
            ex.submit(plus_one, x).result()
            latencies.append((time.perf_counter() - start) * 1e6)
        rows.append(row("overhead", "python-processpool", "mode=sequential", "rtt_us_p50",
                        statistics.median(latencies), "us"))
    with Pool(workers) as pool:
        pool.apply(plus_one, (0,))
        t = timed(rounds, lambda: [r.get() for r in [pool.apply_async(plus_one, (x,)) for x in xs]])
        rows.append(row("overhead", "python-pool", "mode=submit", "tasks_per_s", n / t, "1/s"))
        t = timed(rounds, lambda: pool.map(plus_one, xs))
        rows.append(row("overhead", "python-pool", "mode=map", "tasks_per_s", n / t, "1/s"))
    return rows


def cpu(inputs, rounds, workers):
    serial = timed(rounds, lambda: [sum_primes(n) for n in inputs])
    rows = [row("cpu", "python-serial", "workers=1", "wall_s", serial, "s")]
    for w in range(1, workers + 1):
        with ThreadPoolExecutor(w) as ex:
            t = timed(rounds, lambda: list(ex.map(sum_primes, inputs)))
            rows.append(row("cpu", "python-threads", f"workers={w}", "speedup", serial / t, "x"))
        with ProcessPoolExecutor(w) as ex:
            list(ex.map(plus_one, range(w)))
            t = timed(rounds, lambda: list(ex.map(sum_primes, inputs)))
            rows.append(row("cpu", "python-processpool", f"workers={w}", "speedup", serial / t, "x"))
    return rows


def io(counts, delay, rounds):
    rows = []
    for k in counts:
        param = f"tasks={k},wait=sleep"
        if k * delay <= 0.5:
            t = timed(rounds, lambda: [wait_for(delay) for _ in range(k)])
            rows.append(row("io", "python-serial", param, "wall_s", t, "s"))
        if k <= 1000:
            with ThreadPoolExecutor(k) as ex:
                t = timed(rounds, lambda: list(ex.map(wait_for, [delay] * k)))
                rows.append(row("io", "python-threads", param, "wall_s", t, "s"))

        async def all_wait():
            await asyncio.gather(*[asyncio.sleep(delay) for _ in range(k)])

        t = timed(rounds, lambda: asyncio.run(all_wait()))
        rows.append(row("io", "python-asyncio", param, "wall_s", t, "s"))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default="overhead,cpu,io")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--io-counts", default="3,100,1000,10000")
    ap.add_argument("--io-delay", type=float, default=0.1)
    ap.add_argument("--tsv", action="store_true", help="a row per line, tab-separated")
    args = ap.parse_args()
    rounds = 3 if args.quick else 5
    rows = []
    for scenario in args.scenarios.split(","):
        if scenario == "overhead":
            rows += overhead(2000 if args.quick else 10000, rounds, args.workers)
        elif scenario == "cpu":
            inputs = list(range(100000, 100800, 100))
            rows += cpu(inputs[:4] if args.quick else inputs, rounds, args.workers)
        elif scenario == "io":
            counts = [int(c) for c in args.io_counts.split(",")]
            rows += io(counts, args.io_delay, 1 if args.quick else 3)
        else:
            sys.exit(f"unknown scenario: {scenario} (expected: overhead, cpu, io)")
    if args.tsv:
        for r in rows:
            print("\t".join(str(r[k]) for k in ("scenario", "engine", "param", "metric", "value", "unit")))
    else:
        json.dump(rows, sys.stdout)
        print()


if __name__ == "__main__":
    main()
