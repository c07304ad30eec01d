package org.parallel4j;

import java.util.concurrent.CompletionException;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.TaskBody;

/**
 * A job as it waits in the server's queue: the task, its argument, its deadline, and what a backend
 * prepared of it. Each time a backend takes it, a {@link Lease} is made for that attempt.
 */
final class Work {
  final Job<Object> job;
  final TaskBody task;
  final Object argument;
  long deadlineNanos; // written before the work is queued
  private volatile Prepared prepared; // the last backend's preparation

  private record Prepared(Backend by, Object value) {}

  @SuppressWarnings("unchecked")
  Work(Job<?> job, TaskBody task, Object argument) {
    this.job = (Job<Object>) job;
    this.task = task;
    this.argument = argument;
  }

  /** What {@code by} prepared of this job, prepared now if it has not yet. */
  Object preparedFor(Backend by) {
    Prepared p = prepared;
    if (p != null && p.by() == by) {
      return p.value();
    }
    Object value = by.prepare(task, argument);
    if (value != null) { // nothing to keep for a backend that prepares nothing (most local ones)
      prepared = new Prepared(by, value);
    }
    return value;
  }

  /** Runs the task in the calling thread, for {@code shutdownNow}'s list of unrun tasks. */
  Runnable asRunnable() {
    return () -> {
      try {
        task.invoke(argument);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    };
  }

  @Override
  public int hashCode() {
    return Long.hashCode(job.id());
  }

  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public String toString() {
    return "work for " + job;
  }
}
