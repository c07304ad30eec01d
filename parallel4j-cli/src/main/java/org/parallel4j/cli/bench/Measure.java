package org.parallel4j.cli.bench;

import java.util.ArrayList;
import java.util.List;

/** Timing helpers: medians of repeated runs, as every figure of the bench is. */
final class Measure {
  private Measure() {}

  /** A body that may throw. */
  @FunctionalInterface
  interface Body {
    void run() throws Exception;
  }

  /**
   * Runs {@code body} {@code warmup} times, then returns the median of {@code rounds} runs,
   * reporting each run to {@code progress}.
   */
  static double medianSeconds(Progress progress, int warmup, int rounds, Body body)
      throws Exception {
    int total = warmup + rounds;
    for (int i = 0; i < warmup; i++) {
      body.run();
      progress.advance((i + 1.0) / total);
    }
    List<Double> times = new ArrayList<>(rounds);
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      body.run();
      times.add((System.nanoTime() - t0) / 1e9);
      progress.advance((warmup + i + 1.0) / total);
    }
    return median(times);
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** Keeps the CPU busy for {@code micros} microseconds: a task of a known size. */
  static int spin(int micros) {
    long end = System.nanoTime() + micros * 1000L;
    int spins = 0;
    while (System.nanoTime() < end) {
      spins++;
    }
    return spins;
  }

  /**
   * The median round trip of one trivial task after another on {@code server}, in microseconds:
   * {@code warm} unmeasured first, then {@code count} measured.
   */
  static double roundTripMicros(
      Progress progress, org.parallel4j.JobServer server, int warm, int count) throws Exception {
    List<Double> rtt = new java.util.ArrayList<>(count);
    for (int i = 0; i < warm + count; i++) {
      long t0 = System.nanoTime();
      server.submit(x -> x + 1, i).get();
      if (i >= warm) {
        rtt.add((System.nanoTime() - t0) / 1e3);
      }
      if (i % 100 == 0) {
        progress.advance((i + 1.0) / (warm + count));
      }
    }
    return median(rtt);
  }
}
