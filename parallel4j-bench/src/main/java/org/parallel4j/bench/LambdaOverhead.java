package org.parallel4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.parallel4j.Job;
import org.parallel4j.JobServer;

/**
 * Plain against capturing lambdas on {@code JobServer.processes(2)}: a lambda that captures nothing
 * ({@code x -> x + 1}) is sent to each worker once; one written in a loop ({@code x -> x + k}, a
 * new instance per submit) sends its captured values with each job.
 *
 * <ul>
 *   <li>submit: 100,000 one-submit tasks, median of 5 rounds after 3, plain then capturing, three
 *       times in one JVM;
 *   <li>start: a new pool of 2 to the result of its first task, plain and capturing alternately, 12
 *       pools each after one of each that may record the start-up cache; medians.
 * </ul>
 *
 * <p>Run: {@code java -cp parallel4j-bench/target/benchmarks.jar
 * org.parallel4j.bench.LambdaOverhead}
 */
public final class LambdaOverhead {
  private LambdaOverhead() {}

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    try (JobServer server = JobServer.processes(2)) {
      for (int pair = 0; pair < 3; pair++) {
        for (boolean capturing : new boolean[] {false, true}) {
          System.out.printf(
              Locale.ROOT,
              "submit, %-10s %,12.0f tasks/s%n",
              capturing ? "capturing" : "plain",
              submitRate(server, capturing));
        }
      }
    }
    List<Double> plain = new ArrayList<>();
    List<Double> capturing = new ArrayList<>();
    for (int i = 0; i < 13; i++) {
      double p = startMillis(false, i);
      double c = startMillis(true, i);
      if (i > 0) {
        plain.add(p);
        capturing.add(c);
      }
    }
    System.out.printf(Locale.ROOT, "start, plain      %12.1f ms%n", median(plain));
    System.out.printf(Locale.ROOT, "start, capturing  %12.1f ms%n", median(capturing));
  }

  private static double submitRate(JobServer server, boolean capturing) throws Exception {
    int n = 100_000;
    List<Double> rates = new ArrayList<>();
    for (int round = 0; round < 8; round++) {
      int k = round + 1;
      long t0 = System.nanoTime();
      List<Job<Integer>> jobs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        jobs.add(capturing ? server.submit(x -> x + k, i) : server.submit(x -> x + 1, i));
      }
      for (Job<Integer> job : jobs) {
        job.get();
      }
      if (round >= 3) {
        rates.add(n / ((System.nanoTime() - t0) / 1e9));
      }
    }
    return median(rates);
  }

  private static double startMillis(boolean capturing, int k) throws Exception {
    long t0 = System.nanoTime();
    try (JobServer server = JobServer.processes(2)) {
      if (capturing) {
        server.submit(x -> x + k, 1).get();
      } else {
        server.submit(x -> x + 1, 1).get();
      }
      return (System.nanoTime() - t0) / 1e6; // its close not counted
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
