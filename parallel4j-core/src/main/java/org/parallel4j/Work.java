package org.parallel4j;

import java.io.Serializable;
import java.util.concurrent.Callable;
import org.parallel4j.spi.WorkItem;

/**
 * A job as it travels the queue: the task, its argument, and the {@link Lane} of the backend
 * that took it. Only the one backend that took the item touches {@code lane}.
 */
final class Work implements WorkItem {
  private final Job<Object> job;
  private final Serializable task;
  private final Object argument;
  private final boolean hasArgument;
  Lane lane;

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
  public boolean begin(String worker, Runnable canceller) {
    if (job.begin(lane.backendName(), worker, canceller, lane.now())) {
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
  public void complete(Object result) {
    job.finishRunning();
    lane.ended(this);
    job.complete(result);
    lane.retired(this);
  }

  @Override
  public void fail(Throwable error) {
    job.finishRunning();
    lane.ended(this);
    job.completeExceptionally(error);
    lane.retired(this);
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
