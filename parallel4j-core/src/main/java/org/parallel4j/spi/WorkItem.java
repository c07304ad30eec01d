package org.parallel4j.spi;

import java.io.Serializable;

/**
 * One unit of work taken from a {@link WorkSource}: a task, its argument, and the handle that
 * reports its end to the job server.
 *
 * <p>A backend that takes an item must end it exactly once: either {@link #begin} returns {@code
 * false} (the job was cancelled while queued, and the backend drops it), or the backend calls
 * {@link #complete} or {@link #fail} after running it. Methods are thread-safe.
 */
public interface WorkItem {
  /** The job's id, unique within its job server. */
  long jobId();

  /** The task: a {@code Task.Fn} or a {@code Task.Call}; what a remote backend ships. */
  Serializable task();

  /** The argument of a {@code Task.Fn}; {@code null} for a {@code Task.Call}. */
  Object argument();

  /** The longest the job may run, in nanoseconds, from when it starts; 0 for no limit. */
  long deadlineNanos();

  /**
   * Ends the item because it ran past its deadline: the job fails with {@code
   * TaskTimeoutException}, naming the deadline and {@code how} the worker was stopped.
   */
  void timedOut(String how);

  /** What {@link Backend#prepare} returned for this job at submit, or {@code null}. */
  Object prepared();

  /**
   * Marks the item as running on {@code worker}.
   *
   * @param worker the worker's name, shown as where the job ran
   * @param canceller run at most once, from another thread, when the job is cancelled with
   *     interruption while it runs; for a local thread it interrupts that thread
   * @return {@code false} when the job was cancelled before it started: do not run it
   */
  boolean begin(String worker, Runnable canceller);

  /**
   * As {@link #begin(String, Runnable)}, for backends that queue jobs inside a worker, where a job
   * may wait behind others before it starts: {@code dropper} runs at most once, from another
   * thread, when the job is cancelled without interruption while the backend holds it, so that the
   * worker can skip it if it has not started it yet.
   */
  boolean begin(String worker, Runnable canceller, Runnable dropper);

  /**
   * Runs the task in the calling thread: for backends that execute locally.
   *
   * @return the task's result
   * @throws Exception what the task threw
   */
  Object runHere() throws Exception;

  /** Ends the item with a result. */
  void complete(Object result);

  /** Ends the item with the task's failure. */
  void fail(Throwable error);

  /**
   * The worker running the item was lost (it crashed, or its node left) before the item ended. The
   * job goes back to the queue for another attempt, or, when it has used all its attempts, fails
   * with {@code failure}.
   *
   * @param failure what the job fails with when no attempt is left
   * @return whether the job will run again
   */
  boolean retry(Throwable failure);

  /**
   * The item was sent to a worker that was lost before it began to run it (it was queued there
   * behind another job): the job goes back to the queue, and this attempt does not count.
   */
  void giveBack();

  /** How many times this item has been started, this attempt included. */
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
