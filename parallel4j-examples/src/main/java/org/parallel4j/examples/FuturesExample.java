package org.parallel4j.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.WaitMode;
import org.parallel4j.WaitResult;

/**
 * Article section 2.5, {@code concurrent.futures}: futures from a pool, collected as they complete
 * ({@code as_completed}) and waited on together ({@code wait}).
 *
 * <p>Run: {@code java ... FuturesExample [workers]}.
 */
public final class FuturesExample {
  private FuturesExample() {}

  /**
   * Sums the primes below each bound on {@code workers} threads, printing each result as it
   * completes.
   *
   * @return bound to sum, in the order the sums completed
   */
  public static Map<Long, Long> sums(List<Long> bounds, int workers, PrintStream out) {
    try (JobServer server = JobServer.threads(workers)) {
      List<Job<Long>> jobs = new ArrayList<>();
      Map<Job<Long>, Long> boundOf = new java.util.HashMap<>();
      for (long bound : bounds) {
        Job<Long> job = server.submit(Primes::sumBelow, bound);
        jobs.add(job);
        boundOf.put(job, bound);
      }
      WaitResult<Job<Long>> first = JobServer.waitFor(jobs, WaitMode.FIRST_COMPLETED);
      out.printf(
          "first done: %d job(s); still running or queued: %d%n",
          first.done().size(), first.notDone().size());
      Map<Long, Long> results = new LinkedHashMap<>();
      JobServer.asCompleted(jobs)
          .forEach(
              job -> {
                long bound = boundOf.get(job);
                results.put(bound, job.join());
                out.printf("sum of primes below %d is %d (%s)%n", bound, job.join(), job.ranOn());
              });
      WaitResult<Job<Long>> all = JobServer.waitFor(jobs, WaitMode.ALL_COMPLETED);
      out.printf("all done: %d, not done: %d%n", all.done().size(), all.notDone().size());
      return results;
    }
  }

  /** Entry point. */
  public static void main(String[] args) {
    int workers = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    sums(List.of(100_000L, 50_000L, 200_000L, 10_000L), workers, System.out);
  }
}
