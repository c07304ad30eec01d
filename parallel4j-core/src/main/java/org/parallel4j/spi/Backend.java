package org.parallel4j.spi;

/**
 * A place where jobs run: a pool of local threads, of virtual threads, of worker processes, or a
 * remote node. A job server owns one or more backends; each pulls work from its {@link WorkSource}
 * while it has free workers and reports each item's end through the item.
 *
 * <p>Lifecycle: {@link #start} once, then any number of {@link #workAvailable} and {@link
 * #setWorkers} calls; {@link #shutdown} when the server has no more work; the backend then stops
 * taking work and calls the listener once every worker has gone. Implementations must be
 * thread-safe.
 */
public interface Backend {
  /**
   * Checks and prepares a job at submit, on the submitting thread. A backend that ships jobs to
   * other processes encodes them here, so that a job that cannot be shipped is refused at submit,
   * with a message naming what cannot, and encoding runs on the submitting threads. The value
   * returned comes back from {@link WorkItem#prepared()}. The default does nothing.
   *
   * @throws IllegalArgumentException when the job cannot run on this backend
   */
  default Object prepare(java.io.Serializable task, Object argument) {
    return null;
  }

  /** A short name for stats and for where a job ran, such as {@code threads}. */
  String name();

  /** Starts taking work from {@code source}. */
  void start(WorkSource source);

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
