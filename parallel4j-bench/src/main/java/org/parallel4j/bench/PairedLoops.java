package org.parallel4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The {@link LoopsBenchmark} contenders run in turn, round after round, in one JVM, so that the
 * load of a shared machine falls on all of them alike: the figure that matters is the median over
 * rounds of each contender's time divided by the baseline's in the same round. JMH runs each
 * contender in its own fork, minutes apart, and on this kind of machine memory bandwidth drifts by
 * 20% between forks, more than the differences being measured.
 *
 * <p>Run: {@code java -Xms3g -Xmx3g -cp parallel4j-bench/target/benchmarks.jar
 * org.parallel4j.bench.PairedLoops [rounds] [log2Size]} (default 30 and 27).
 */
public final class PairedLoops {
  private PairedLoops() {}

  /** Entry point: prints one line per workload and contender. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int log2Size = args.length > 1 ? Integer.parseInt(args[1]) : 27;
    String[] impls = {
      "serial", "streams", "forkjoin", "static", "dynamic", "guided", "chunked", "floor"
    };
    Map<String, LoopsBenchmark> states = new LinkedHashMap<>();
    for (String impl : impls) {
      LoopsBenchmark b = new LoopsBenchmark();
      b.impl = impl;
      b.log2Size = log2Size;
      b.threads = 0;
      states.put(impl, b);
    }
    // one pair of arrays for all: share them so that memory holds only two
    LoopsBenchmark first = states.get("serial");
    first.setUp();
    for (LoopsBenchmark b : states.values()) {
      if (b != first) {
        b.shareArrays(first);
      }
    }
    report("squares", rounds, states, LoopsBenchmark::squares, "forkjoin", "floor");
    report("irregular", rounds, states, b -> b.irregular(), "static", "forkjoin");
    for (LoopsBenchmark b : states.values()) {
      b.tearDown();
    }
  }

  private static void report(
      String workload,
      int rounds,
      Map<String, LoopsBenchmark> states,
      ToDoubleFunction<LoopsBenchmark> op,
      String... baselines) {
    Map<String, List<Double>> times = new LinkedHashMap<>();
    int warmup = Math.max(3, rounds / 5);
    for (int r = 0; r < warmup + rounds; r++) {
      for (Map.Entry<String, LoopsBenchmark> e : states.entrySet()) {
        if (workload.equals("irregular")
            && (e.getKey().equals("floor") || e.getKey().equals("chunked"))) {
          continue;
        }
        long t0 = System.nanoTime();
        op.applyAsDouble(e.getValue());
        double ms = (System.nanoTime() - t0) / 1e6;
        if (r >= warmup) {
          times.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(ms);
        }
      }
    }
    for (Map.Entry<String, List<Double>> e : times.entrySet()) {
      StringBuilder line =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "%-9s %-8s median %8.1f ms",
                  workload,
                  e.getKey(),
                  median(e.getValue())));
      for (String base : baselines) {
        List<Double> ratios = new ArrayList<>();
        List<Double> b = times.get(base);
        for (int i = 0; i < e.getValue().size(); i++) {
          ratios.add(e.getValue().get(i) / b.get(i));
        }
        line.append(String.format(Locale.ROOT, "  %.2fx vs %s", median(ratios), base));
      }
      System.out.println(line);
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
