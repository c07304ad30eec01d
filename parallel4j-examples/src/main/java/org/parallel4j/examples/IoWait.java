package org.parallel4j.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.parallel4j.Job;
import org.parallel4j.JobServer;

/**
 * The article's figure 2: three tasks that each spend their time waiting on I/O. Run one after
 * another they pay the wait three times; run concurrently the waits overlap and the whole takes
 * about as long as the longest. The wait here is a sleep, as in the article.
 *
 * <p>Run: {@code java ... IoWait [ms-1 ms-2 ms-3]} (default 1000 700 400).
 */
public final class IoWait {
  private IoWait() {}

  /**
   * What one run measured.
   *
   * @param wall the run's wall time
   * @param maxConcurrent the most tasks waiting at the same moment
   */
  public record Run(Duration wall, int maxConcurrent) {}

  /** Runs the tasks one after another in this thread. */
  public static Run serial(List<Duration> waits) throws InterruptedException {
    Tracker t = new Tracker();
    long t0 = System.nanoTime();
    for (Duration d : waits) {
      t.io(d);
    }
    return new Run(Duration.ofNanos(System.nanoTime() - t0), t.max.get());
  }

  /** Runs the tasks at once, one virtual thread each. */
  public static Run concurrent(List<Duration> waits) {
    Tracker t = new Tracker();
    long t0 = System.nanoTime();
    try (JobServer server = JobServer.virtualThreads()) {
      List<Job<Object>> jobs =
          waits.stream()
              .map(
                  d ->
                      server.submit(
                          () -> {
                            t.io(d);
                            return (Object) d;
                          }))
              .toList();
      jobs.forEach(Job::join);
    }
    return new Run(Duration.ofNanos(System.nanoTime() - t0), t.max.get());
  }

  /** Counts how many tasks wait at once. */
  private static final class Tracker {
    final AtomicInteger now = new AtomicInteger();
    final AtomicInteger max = new AtomicInteger();

    void io(Duration d) throws InterruptedException {
      max.accumulateAndGet(now.incrementAndGet(), Math::max);
      try {
        Thread.sleep(d); // I/O wait
      } finally {
        now.decrementAndGet();
      }
    }
  }

  /** Runs both ways and prints the times. */
  public static void compare(List<Duration> waits, PrintStream out) throws InterruptedException {
    long sum = waits.stream().mapToLong(Duration::toMillis).sum();
    long longest = waits.stream().mapToLong(Duration::toMillis).max().orElse(0);
    Run s = serial(waits);
    Run c = concurrent(waits);
    out.printf("serial:     %6d ms (the sum of the waits: %d ms)%n", s.wall().toMillis(), sum);
    out.printf("concurrent: %6d ms (the longest wait: %d ms)%n", c.wall().toMillis(), longest);
  }

  /** Entry point. */
  public static void main(String[] args) throws InterruptedException {
    List<Duration> waits =
        args.length == 3
            ? List.of(args).stream().map(a -> Duration.ofMillis(Long.parseLong(a))).toList()
            : List.of(Duration.ofMillis(1000), Duration.ofMillis(700), Duration.ofMillis(400));
    compare(waits, System.out);
  }
}
