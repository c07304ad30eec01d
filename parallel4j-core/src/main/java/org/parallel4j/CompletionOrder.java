package org.parallel4j;

import java.time.Duration;
import java.util.Collection;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/** The iterator behind {@link JobServer#asCompleted}: jobs as they complete. One consumer. */
final class CompletionOrder<J extends CompletableFuture<?>> implements Iterator<J> {
  private final LinkedBlockingQueue<J> done = new LinkedBlockingQueue<>();
  private final long deadline;
  private final boolean timed;
  private int left;

  CompletionOrder(Collection<J> jobs, Duration timeout) {
    this.timed = timeout != null;
    this.deadline = timed ? System.nanoTime() + timeout.toNanos() : 0;
    this.left = jobs.size();
    for (J job : jobs) {
      Objects.requireNonNull(job, "jobs contains null");
      job.whenComplete((r, e) -> done.add(job));
    }
  }

  Stream<J> stream() {
    return StreamSupport.stream(
        Spliterators.spliterator(this, left, Spliterator.NONNULL | Spliterator.SIZED), false);
  }

  @Override
  public boolean hasNext() {
    return left > 0;
  }

  @Override
  public J next() {
    if (left == 0) {
      throw new NoSuchElementException();
    }
    try {
      J job = timed ? done.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS) : done.take();
      if (job == null) {
        throw new CompletionException(
            new TimeoutException(left + " jobs were not done within the timeout"));
      }
      left--;
      return job;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }
}
