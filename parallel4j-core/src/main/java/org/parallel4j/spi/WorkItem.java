package org.parallel4j.spi;

/**
 * One job as a backend holds it: a lease, taken from a {@link WorkSource}, on one attempt at the
 * job. The server keeps the lease until the backend ends it, so that a lost worker's jobs run again
 * without the backend's help.
 *
 * <h2>Events</h2>
 *
 * <ul>
 *   <li><b>taken</b>: the backend took the item from its source (or accepted it through {@link
 *       Backend#offer}).
 *   <li><b>assigned</b> ({@link #assign}): a backend whose workers queue jobs, or run elsewhere,
 *       hands the item to a worker it registered ({@link BackendContext#worker}); cancelling the
 *       job from then on goes through the given {@link JobControl}.
 *   <li><b>started</b> ({@link #started}): the worker began to run it. Run time, the deadline and
 *       the attempt count start here, not at assignment, so a job that waits in a worker's pipeline
 *       is not counted as running.
 *   <li><b>ended</b> ({@link #complete} or {@link #fail}).
 * </ul>
 *
 * A backend whose workers are threads of this JVM does all but the last at once with {@link
 * #begin}, and calls {@link #runHere}.
 *
 * <p>A backend ends each item it took exactly once: it completes or fails it; or {@link #assign} or
 * {@link #begin} returns {@code false} (the job was cancelled while queued, or the worker was
 * already lost: the server has dealt with it); or it {@link #release}s an item it cannot use; or
 * the item's worker is {@linkplain WorkerHandle#lost lost}. An outcome reported after the server
 * gave the lease up (the worker was lost, or the job passed its deadline) is dropped. Thread-safe.
 */
public interface WorkItem {
  /** The job's id, unique within its job server. */
  long jobId();

  /** The task: what a remote backend ships. */
  TaskBody task();

  /** The argument of the task; {@code null} for a task that takes none. */
  Object argument();

  /** The longest the job may run, in nanoseconds, from when it starts; 0 for no limit. */
  long deadlineNanos();

  /**
   * What {@code by} made of this job with {@link Backend#prepare}: made once per backend and kept,
   * so a job encoded at submit is not encoded again, and a job that two backends could take is not
   * tied to the first.
   *
   * @throws IllegalArgumentException when the job cannot run on {@code by}
   */
  Object prepared(Backend by);

  /**
   * Hands the item to {@code worker}: the lease is recorded with it.
   *
   * @param control how the server cancels or stops the job from now on
   * @return {@code false} when the job was cancelled while queued, or {@code worker} was lost
   *     already (the item went back to the queue): do not send it
   */
  boolean assign(WorkerHandle worker, JobControl control);

  /** The worker began to run the assigned item, now. Does nothing once the lease has ended. */
  void started();

  /** As {@link #started()}, at {@code now}, a reading of {@link BackendContext#now()}. */
  void started(long now);

  /**
   * Assigns the item to a worker of this JVM named {@code worker} and starts it, for backends that
   * run jobs on their own threads.
   *
   * @return {@code false} when the job was cancelled before it started: do not run it
   */
  boolean begin(String worker, JobControl control);

  /**
   * As {@link #begin(String, JobControl)}, started at {@code now}, a reading of {@link
   * BackendContext#now()}: a worker that runs one job after another reads the clock once between
   * them.
   */
  boolean begin(String worker, JobControl control, long now);

  /**
   * Runs the task in the calling thread: for backends that execute locally.
   *
   * @return the task's result
   * @throws Exception what the task threw
   */
  Object runHere() throws Exception;

  /**
   * Ends the item with a result.
   *
   * @return {@code false} when the outcome came too late and was dropped
   */
  boolean complete(Object result);

  /**
   * Ends the item with the task's failure.
   *
   * @return {@code false} when the outcome came too late and was dropped
   */
  boolean fail(Throwable error);

  /**
   * As {@link #complete(Object)}, ended at {@code now}, a reading of {@link BackendContext#now()}.
   */
  boolean complete(Object result, long now);

  /**
   * As {@link #fail(Throwable)}, ended at {@code now}, a reading of {@link BackendContext#now()}.
   */
  boolean fail(Throwable error, long now);

  /**
   * Gives back an item taken and not assigned or begun, such as one taken as the backend was told
   * to stop: it goes back to the queue, and no attempt is counted.
   */
  void release();

  /**
   * Cancels the job, with interruption, as {@code cancel(true)} on it does: for a backend told to
   * {@linkplain Backend#cancelRunning cancel what it runs}.
   */
  void cancel();

  /** How many times this job has been started, this attempt included once it has started. */
  int attempt();

  /**
   * Lets a thread that waits for this item's result ({@code get} or {@code join} on its job) help
   * produce it before it sleeps: a backend whose results arrive on a channel uses it so that the
   * waiting thread reads its own result, instead of sleeping until another thread reads it and
   * wakes it. The latest helper given counts. Does nothing by default.
   *
   * @param helper run by waiting threads; see {@link WaitHelper#help}
   */
  default void awaitedWith(WaitHelper helper) {}

  /** What a thread waiting for a job may run first; see {@link WorkItem#awaitedWith}. */
  @FunctionalInterface
  interface WaitHelper {
    /**
     * Works towards the job's end for a short while (microseconds) and returns, whether or not
     * {@code done} holds by then; the caller then sleeps until the job ends. Must not block: it
     * returns at once when it cannot help now.
     *
     * @param done whether the job has ended
     */
    void help(java.util.function.BooleanSupplier done);
  }
}
