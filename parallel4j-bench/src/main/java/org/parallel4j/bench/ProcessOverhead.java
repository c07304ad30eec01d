package org.parallel4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.examples.Primes;

/**
 * The worker-process engine's figures, to set beside {@code ../shared/anchors/python_anchors.py
 * --scenario overhead} and {@code --scenario cpu} run in the same command:
 *
 * <ul>
 *   <li>start: {@code JobServer.processes(2)} to its first result, in this JVM's first pool (cold)
 *       and in later ones (median of 5);
 *   <li>submit: 100,000 trivial tasks ({@code x -> x + 1}), one {@code submit} each, then every
 *       result awaited (median of 10 rounds after 10 warm-up rounds);
 *   <li>map: {@code map} of 10,000 inputs with the server's chunking (median of 300 after 1,500
 *       warm-up maps: the JIT needs them);
 *   <li>rtt: one task submitted and awaited at a time (median of 5,000 after 5,000);
 *   <li>cpu: Parallel Python's sum_primes inputs (8 inputs from 100,000 in steps of 100, each run 8
 *       times) on 1 and on 2 workers, median of 5 after a warm-up, and the speed-up.
 * </ul>
 *
 * <p>Run: {@code java -cp parallel4j-bench/target/benchmarks.jar
 * org.parallel4j.bench.ProcessOverhead}
 */
public final class ProcessOverhead {
  private ProcessOverhead() {}

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    List<Double> starts = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      long t0 = System.nanoTime();
      try (JobServer server = JobServer.processes(2)) {
        server.submit(x -> x + 1, 1).get();
        starts.add((System.nanoTime() - t0) / 1e6);
      }
    }
    print("start, first pool", starts.get(0), "ms");
    print("start, later pools", median(starts.subList(1, starts.size())), "ms");

    try (JobServer server = JobServer.processes(2)) {
      int n = 100_000;
      List<Double> submit = new ArrayList<>();
      for (int round = 0; round < 20; round++) {
        long a = System.nanoTime();
        List<Job<Integer>> jobs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          jobs.add(server.submit(x -> x + 1, i));
        }
        for (Job<Integer> job : jobs) {
          job.get();
        }
        if (round >= 10) {
          submit.add(n / ((System.nanoTime() - a) / 1e9));
        }
      }
      print("submit, trivial tasks", median(submit), "tasks/s");

      List<Integer> inputs = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        inputs.add(i);
      }
      List<Double> map = new ArrayList<>();
      for (int round = 0; round < 1800; round++) {
        long a = System.nanoTime();
        server.map(x -> x + 1, inputs);
        if (round >= 1500) {
          map.add(inputs.size() / ((System.nanoTime() - a) / 1e9));
        }
      }
      print("map of 10,000", median(map), "tasks/s");

      List<Double> rtt = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        long a = System.nanoTime();
        server.submit(x -> x + 1, i).get();
        if (i >= 5000) {
          rtt.add((System.nanoTime() - a) / 1e3);
        }
      }
      print("sequential round trip", median(rtt), "us");
    }

    List<Long> primesInputs = new ArrayList<>();
    for (int rep = 0; rep < 8; rep++) {
      for (long x = 100_000; x < 100_800; x += 100) {
        primesInputs.add(x);
      }
    }
    double one = cpu(1, primesInputs);
    double two = cpu(2, primesInputs);
    print("sum_primes, 1 worker", one, "ms");
    print("sum_primes, 2 workers", two, "ms");
    print("sum_primes speed-up", one / two, "x");
  }

  private static double cpu(int workers, List<Long> inputs) throws Exception {
    try (JobServer server = JobServer.processes(workers)) {
      List<Double> times = new ArrayList<>();
      for (int round = 0; round < 7; round++) {
        long a = System.nanoTime();
        server.map(Primes::sumBelow, inputs, 1);
        if (round >= 2) {
          times.add((System.nanoTime() - a) / 1e6);
        }
      }
      return median(times);
    }
  }

  private static void print(String what, double value, String unit) {
    System.out.printf(Locale.ROOT, "%-24s %14.1f %s%n", what, value, unit);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
