package org.parallel4j.spi;

import java.util.List;

/**
 * A place where jobs run: a pool of local threads, of virtual threads, of worker processes, or a
 * remote node. A job server owns any number of backends, added and removed while it runs; each
 * pulls work from its {@link BackendContext#source() source} while it has free workers and reports
 * each item's events through the item ({@link WorkItem}). The server holds the lease of every item
 * a backend took, so failover is the server's: a backend only reports a lost worker ({@link
 * WorkerHandle#lost}) or its own loss ({@link BackendContext#lost}).
 *
 * <p>Lifecycle: {@link #start} once, then any number of {@link #workAvailable} and {@link
 * #setWorkers} calls; {@link #shutdown} when the server has no more work or removes the backend;
 * the backend then stops taking work, finishes what it holds, and calls the listener once every
 * worker has gone. Implementations must be thread-safe.
 */
public interface Backend {
  /**
   * Checks and prepares a job for this backend: a backend that ships jobs to other processes
   * encodes them here. The server calls it at submit, on the submitting thread, for the first
   * backend, so that a job that cannot be shipped is refused there with a message naming what
   * cannot; other backends prepare a job when they take it, through {@link WorkItem#prepared}. The
   * default accepts every job and prepares nothing.
   *
   * @return what {@link WorkItem#prepared} returns to this backend
   * @throws IllegalArgumentException when the job cannot run on this backend
   */
  default Object prepare(TaskBody task, Object argument) {
    return null;
  }

  /**
   * Whether this backend's workers are threads of this JVM, which cannot be lost: the server then
   * keeps no registry of its leases. False by default.
   */
  default boolean isLocal() {
    return false;
  }

  /**
   * Whether {@code stats()} lists this backend's workers one by one, by the names they were
   * registered with ({@link BackendContext#worker}): for workers that keep their names, such as a
   * cluster's nodes (a node that rejoins adds to its row). False by default.
   */
  default boolean statsPerWorker() {
    return false;
  }

  /**
   * Why this backend runs nothing now, for {@code stats()} ({@code no node reachable for 12 s}), or
   * null when it is fine. Cheap: read at each {@code stats()}. Null by default.
   */
  default String status() {
    return null;
  }

  /**
   * This backend's workers now, for the dashboard: one row per worker process, thread or node, at
   * most a few hundred (an unbounded pool of virtual threads lists its busy ones). Called about
   * once a second while a dashboard is open, never on a job's path. Empty by default.
   */
  default List<WorkerInfo> workerInfo() {
    return List.of();
  }

  /** A short name for stats and for where a job ran, such as {@code threads}. */
  String name();

  /**
   * Starts the backend: it takes work from {@code context.source()} from now on.
   *
   * @throws IllegalStateException when it cannot start (say, no worker process could)
   */
  void start(BackendContext context);

  /**
   * Offers a new item directly, before it is queued: a backend with an idle slot (say, room for one
   * more worker) may take it and start it at once. Called on the submitting thread, so it must be
   * cheap; the default takes nothing.
   *
   * @return whether the backend took the item; if so it must end it as if it had taken it from its
   *     source
   */
  default boolean offer(WorkItem item) {
    return false;
  }

  /**
   * Whether {@link #offer} may take an item now: a cheap hint, read on the submitting thread before
   * each offer, so that a backend that would say no (every worker busy) costs a submit nothing.
   * True by default.
   */
  default boolean mayTakeOffer() {
    return true;
  }

  /**
   * Work was queued. Called on the submitting thread after each submission, so it must be cheap; a
   * backend that starts workers on demand starts one here.
   */
  void workAvailable();

  /** The number of workers this backend aims to run ({@link Integer#MAX_VALUE} for no limit). */
  int workers();

  /** Changes the number of workers; a worker that is removed finishes its running job first. */
  void setWorkers(int workers);

  /** The number of jobs running now. */
  int busy();

  /** Cancels, with interruption, every job running now. */
  void cancelRunning();

  /**
   * Stops taking work; calls {@code onTerminated} once, from any thread, when every worker has
   * gone. The server calls this only when no work is left.
   */
  void shutdown(Runnable onTerminated);
}
