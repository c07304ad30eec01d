package org.parallel4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.parallel4j.Job;
import org.parallel4j.JobServer;

/**
 * First figures for the worker-process engine on trivial tasks ({@code x -> x + 1}), to set beside
 * {@code ../shared/anchors/python_anchors.py --scenario overhead}: time from {@code
 * JobServer.processes(2)} to its first result, throughput of one {@code submit} per task (20,000
 * tasks, median of 5 rounds after 3 warm-up rounds), {@code map} of 10,000 inputs with the server's
 * chunking (median of 7), and the sequential round trip of one task (median of 2,000 after 1,000
 * warm-up).
 *
 * <p>Run: {@code java -cp parallel4j-bench/target/benchmarks.jar
 * org.parallel4j.bench.ProcessOverhead}
 */
public final class ProcessOverhead {
  private ProcessOverhead() {}

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    try (JobServer server = JobServer.processes(2)) {
      server.submit(x -> x + 1, 1).get();
      print("start to first result", (System.nanoTime() - t0) / 1e6, "ms");
      int n = 20_000;
      List<Double> submit = new ArrayList<>();
      for (int round = 0; round < 8; round++) {
        long a = System.nanoTime();
        List<Job<Integer>> jobs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          jobs.add(server.submit(x -> x + 1, i));
        }
        for (Job<Integer> job : jobs) {
          job.get();
        }
        if (round >= 3) {
          submit.add(n / ((System.nanoTime() - a) / 1e9));
        }
      }
      print("submit, trivial tasks", median(submit), "tasks/s");
      List<Integer> inputs = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        inputs.add(i);
      }
      List<Double> map = new ArrayList<>();
      for (int round = 0; round < 7; round++) {
        long a = System.nanoTime();
        server.map(x -> x + 1, inputs);
        map.add(inputs.size() / ((System.nanoTime() - a) / 1e9));
      }
      print("map of 10,000", median(map), "tasks/s");
      List<Double> rtt = new ArrayList<>();
      for (int i = 0; i < 3000; i++) {
        long a = System.nanoTime();
        server.submit(x -> x + 1, i).get();
        if (i >= 1000) {
          rtt.add((System.nanoTime() - a) / 1e3);
        }
      }
      print("sequential round trip", median(rtt), "us");
    }
  }

  private static void print(String what, double value, String unit) {
    System.out.printf(Locale.ROOT, "%-24s %12.1f %s%n", what, value, unit);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
