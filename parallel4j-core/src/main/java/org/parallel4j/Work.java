package org.parallel4j;

import java.io.Serializable;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.parallel4j.spi.WorkItem;

/**
 * A job as it travels the queue: the task, its argument, and the {@link Lane} of the backend that
 * took it. Only the one backend that took the item touches {@code lane}.
 */
final class Work implements WorkItem {
  private final Job<Object> job;
  private final Serializable task;
  private final Object argument;
  private final boolean hasArgument;
  Lane lane;
  Object prepared;
  long deadlineNanos;

  @SuppressWarnings("unchecked")
  Work(Job<?> job, Serializable task, Object argument, boolean hasArgument) {
    this.job = (Job<Object>) job;
    this.task = task;
    this.argument = argument;
    this.hasArgument = hasArgument;
  }

  Job<Object> job() {
    return job;
  }

  @Override
  public long jobId() {
    return job.id();
  }

  @Override
  public Serializable task() {
    return task;
  }

  @Override
  public Object argument() {
    return argument;
  }

  @Override
  public long deadlineNanos() {
    return deadlineNanos;
  }

  @Override
  public void timedOut(String how) {
    Duration deadline = Duration.ofNanos(deadlineNanos);
    failAt(
        new TaskTimeoutException(
            lane.server().name()
                + ": job "
                + job.id()
                + " ran past its deadline of "
                + deadline.toMillis()
                + " ms and "
                + how,
            deadline),
        lane.now());
  }

  @Override
  public Object prepared() {
    return prepared;
  }

  @Override
  public boolean begin(String worker, Runnable canceller) {
    return beginAt(worker, canceller, null, lane.now());
  }

  @Override
  public boolean begin(String worker, Runnable canceller, Runnable dropper) {
    return beginAt(worker, canceller, dropper, lane.now());
  }

  /** As {@link #begin}, with the start time already read by the caller. */
  boolean beginAt(String worker, Runnable canceller, Runnable dropper, long now) {
    if (job.begin(lane.backendName(), worker, canceller, dropper, now)) {
      return true;
    }
    lane.dropped(this);
    return false;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Object runHere() throws Exception {
    return hasArgument
        ? ((Task.Fn<Object, Object>) task).call(argument)
        : ((Callable<Object>) task).call();
  }

  @Override
  public void awaitedWith(WaitHelper helper) {
    job.awaitedWith(helper);
  }

  @Override
  public void complete(Object result) {
    completeAt(result, lane.now());
  }

  @Override
  public void fail(Throwable error) {
    failAt(error, lane.now());
  }

  /** As {@link #complete}, with the end time already read by the caller. */
  void completeAt(Object result, long now) {
    job.finishRunning();
    lane.ended(this, now);
    job.complete(result);
    lane.retired(this);
  }

  /** As {@link #fail}, with the end time already read by the caller. */
  void failAt(Throwable error, long now) {
    job.finishRunning();
    lane.ended(this, now);
    job.completeExceptionally(error);
    lane.retired(this);
  }

  @Override
  public boolean retry(Throwable failure) {
    return requeue(failure, true);
  }

  @Override
  public void giveBack() {
    requeue(null, false);
  }

  private boolean requeue(Throwable failure, boolean counted) {
    Lane from = lane;
    if (from.server().isStopping()) { // shutdownNow: the job ends cancelled
      job.cancel(false);
    }
    if (job.isDone()) { // cancelled while it ran: nothing to run again
      job.finishRunning();
      from.dropped(this);
      return false;
    }
    if (counted && job.attempts() >= from.server().maxAttempts()) {
      failAt(failure, from.now());
      return false;
    }
    job.rearm(counted);
    lane = null;
    from.server().requeue(this);
    return true;
  }

  @Override
  public int attempt() {
    return job.attempts();
  }

  /** Runs {@code this} in the calling thread, for {@code shutdownNow}'s list of unrun tasks. */
  Runnable asRunnable() {
    return () -> {
      try {
        runHere();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    };
  }

  @Override
  public String toString() {
    return "work for " + job;
  }
}
