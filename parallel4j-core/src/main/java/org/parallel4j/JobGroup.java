package org.parallel4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Jobs submitted together so that they can be awaited together: Parallel Python's {@code
 * submit(..., group="name")} and {@code wait("name")}. Create one with {@link
 * JobServer#group(String)}.
 *
 * {@snippet lang = java :
 * JobGroup<Long> sums = server.group("sums");
 * for (long n : List.of(100_000L, 100_100L)) {
 *   sums.submit(Primes::sumBelow, n);
 * }
 * sums.await();                           // pp: wait("sums")
 * List<Long> results = sums.results();    // in submission order
 * }
 *
 * <p>Thread-safe: several threads may submit to one group. A wait covers the jobs submitted before
 * it began.
 *
 * @param <R> the result type of the group's jobs
 */
public final class JobGroup<R> {
  private final JobServer server;
  private final String name;
  private final ConcurrentLinkedQueue<Job<R>> jobs = new ConcurrentLinkedQueue<>();
  private final Tracker tracker; // on a server with a dashboard; else null

  JobGroup(JobServer server, String name) {
    this.server = server;
    this.name = name;
    this.tracker = Tracker.ofGroup(server, name);
  }

  /** The group's name. */
  public String name() {
    return name;
  }

  /** Submits {@code fn(argument)} to the server as a member of this group. */
  public <A> Job<R> submit(Task.Fn<? super A, ? extends R> fn, A argument) {
    return add(server.submit(fn, argument));
  }

  /** Submits {@code task} to the server as a member of this group. */
  public Job<R> submit(Task.Call<R> task) {
    return add(server.submit(task));
  }

  private Job<R> add(Job<R> job) {
    jobs.add(job);
    if (tracker != null) {
      tracker.added();
      tracker.track(job, 1);
    }
    return job;
  }

  /** The group's jobs, in submission order. */
  public List<Job<R>> jobs() {
    return List.copyOf(jobs);
  }

  /**
   * Waits until every job of the group has ended, whatever its outcome: pp's {@code wait}. An
   * interrupt ends the wait early with the interrupt status set.
   */
  public void await() {
    JobServer.waitFor(jobs(), WaitMode.ALL_COMPLETED);
  }

  /**
   * Waits at most {@code timeout} for every job of the group to end.
   *
   * @return whether all had ended
   */
  public boolean await(Duration timeout) {
    return JobServer.waitFor(jobs(), WaitMode.ALL_COMPLETED, timeout).notDone().isEmpty();
  }

  /**
   * Waits for the group and returns its results in submission order.
   *
   * @throws CompletionException with the first failed job's exception (in submission order)
   */
  public List<R> results() {
    List<R> results = new ArrayList<>();
    for (Job<R> job : jobs()) {
      results.add(JobServer.awaitResult(job));
    }
    return results;
  }

  /** Cancels, with interruption, every job of the group not done yet. */
  public void cancel() {
    for (Job<R> job : jobs) {
      job.cancel(true);
    }
  }

  @Override
  public String toString() {
    long done = jobs.stream().filter(Job::isDone).count();
    return "group "
        + name
        + " of "
        + server.name()
        + " (jobs="
        + jobs.size()
        + ", done="
        + done
        + ")";
  }
}
