package org.parallel4j;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A snapshot of a job server's activity: Parallel Python's {@code print_stats()}. Immutable; {@link
 * #toString()} renders it as a table.
 *
 * @param server the job server's name
 * @param uptime time since the server started
 * @param workers the workers of all backends ({@link Integer#MAX_VALUE} for no limit)
 * @param active jobs submitted and not yet ended (queued or running)
 * @param queued jobs waiting for a worker
 * @param completed jobs ended in any way, including cancelled ones that never ran
 * @param backends one row per backend
 */
public record Stats(
    String server,
    Duration uptime,
    int workers,
    long active,
    long queued,
    long completed,
    List<Backend> backends,
    Outcomes outcomes) {

  /** Copies {@code backends}. */
  public Stats {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(uptime, "uptime");
    backends = List.copyOf(Objects.requireNonNull(backends, "backends"));
    Objects.requireNonNull(outcomes, "outcomes");
  }

  /** A snapshot with no outcomes counted. */
  public Stats(
      String server,
      Duration uptime,
      int workers,
      long active,
      long queued,
      long completed,
      List<Backend> backends) {
    this(server, uptime, workers, active, queued, completed, backends, Outcomes.NONE);
  }

  /**
   * How jobs have ended so far, and what they cost besides running: what metrics count ({@code
   * parallel4j-micrometer}).
   *
   * @param submitted jobs submitted
   * @param failed jobs that ended with an exception (not a cancel), a timeout or a lost worker
   *     included
   * @param cancelled jobs cancelled, queued or running
   * @param retried attempts run again after their worker was lost (counted or not)
   * @param queueTime the time jobs waited for a worker, summed over the attempts that started
   * @param workerLosses workers lost, by cause: {@link #KILLED} (by a signal: a crash, an OOM
   *     killer, a deadline), {@link #EXITED} (it exited by itself), {@link #LOST} (its node or
   *     backend went away)
   */
  public record Outcomes(
      long submitted,
      long failed,
      long cancelled,
      long retried,
      Duration queueTime,
      java.util.Map<String, Long> workerLosses) {
    /** A worker killed by a signal. */
    public static final String KILLED = "killed";

    /** A worker that exited by itself. */
    public static final String EXITED = "exited";

    /** A worker whose node or backend went away. */
    public static final String LOST = "lost";

    static final Outcomes NONE =
        new Outcomes(0, 0, 0, 0, Duration.ZERO, java.util.Map.of(KILLED, 0L, EXITED, 0L, LOST, 0L));

    /** Copies {@code workerLosses}. */
    public Outcomes {
      Objects.requireNonNull(queueTime, "queueTime");
      workerLosses = java.util.Map.copyOf(workerLosses);
    }

    /** The cause a worker's exit ({@code killed by signal 9}, {@code exit code 3}) counts under. */
    static String causeOf(String exit) {
      return exit.startsWith("killed by signal")
          ? KILLED
          : exit.startsWith("exit code") ? EXITED : LOST;
    }
  }

  /** The number of jobs that ran, over all backends. */
  public long jobsRun() {
    long n = 0;
    for (Backend b : backends) {
      n += b.jobs();
    }
    return n;
  }

  /**
   * One backend's share of the work.
   *
   * @param name the backend, such as {@code threads}
   * @param workers its workers ({@link Integer#MAX_VALUE} for no limit)
   * @param jobs the jobs that ran on it, failed ones included
   * @param percent its share of all jobs run, 0 to 100
   * @param totalTime the sum of its jobs' run times
   * @param perWorker a row per worker, for a backend whose workers keep their names (a cluster's
   *     nodes); empty otherwise
   * @param status why it runs nothing now ({@code no node reachable for 12 s}), or null
   * @param busy the jobs it runs now
   */
  public record Backend(
      String name,
      int workers,
      long jobs,
      double percent,
      Duration totalTime,
      List<Worker> perWorker,
      String status,
      int busy) {
    /** Copies {@code perWorker}. */
    public Backend {
      perWorker = List.copyOf(perWorker);
    }

    /** A row with nothing running now. */
    public Backend(
        String name,
        int workers,
        long jobs,
        double percent,
        Duration totalTime,
        List<Worker> perWorker,
        String status) {
      this(name, workers, jobs, percent, totalTime, perWorker, status, 0);
    }

    /** A row with no per-worker rows and no status. */
    public Backend(String name, int workers, long jobs, double percent, Duration totalTime) {
      this(name, workers, jobs, percent, totalTime, List.of(), null, 0);
    }

    /** The mean run time of its jobs, {@link Duration#ZERO} when none ran. */
    public Duration meanTime() {
      return jobs == 0 ? Duration.ZERO : totalTime.dividedBy(jobs);
    }
  }

  /**
   * One worker's share, for a backend whose workers keep their names (a cluster's nodes, pp's
   * ppservers).
   *
   * @param name the worker, such as {@code 10.0.0.2:7800}
   * @param jobs the jobs that ran on it
   * @param percent its share of all jobs run, 0 to 100
   * @param totalTime the sum of its jobs' run times
   */
  public record Worker(String name, long jobs, double percent, Duration totalTime) {
    /** The mean run time of its jobs, {@link Duration#ZERO} when none ran. */
    public Duration meanTime() {
      return jobs == 0 ? Duration.ZERO : totalTime.dividedBy(jobs);
    }
  }

  static String workers(int n) {
    return n == Integer.MAX_VALUE ? "unbounded" : Integer.toString(n);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            "Job execution statistics of %s (up %.3f s, workers=%s, active=%d, queued=%d,"
                + " completed=%d):%n",
            server, uptime.toNanos() / 1e9, workers(workers), active, queued, completed));
    sb.append(
        String.format(
            " %-10s %9s %8s %7s %14s %14s%n",
            "backend", "workers", "jobs", "%", "total time s", "mean time ms"));
    for (Backend b : backends) {
      sb.append(
          String.format(
              " %-10s %9s %8d %7.2f %14.3f %14.3f%n",
              b.name(),
              workers(b.workers()),
              b.jobs(),
              b.percent(),
              b.totalTime().toNanos() / 1e9,
              b.meanTime().toNanos() / 1e6));
      if (b.status() != null) {
        sb.append("   (").append(b.status()).append(")").append(System.lineSeparator());
      }
      for (Worker w : b.perWorker()) {
        sb.append(
            String.format(
                "   %-18s %8d %7.2f %14.3f %14.3f%n",
                w.name(),
                w.jobs(),
                w.percent(),
                w.totalTime().toNanos() / 1e9,
                w.meanTime().toNanos() / 1e6));
      }
    }
    return sb.toString();
  }
}
