package org.parallel4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The iterator behind {@link JobServer#mapUnordered}: keeps at most {@code maxInFlight} jobs
 * submitted and not yet consumed, pulling inputs on the consuming thread only as results are taken,
 * and yields results in completion order. Not thread-safe: one consumer, as for any stream; job
 * completions only append to the thread-safe {@code done} queue.
 */
final class UnorderedMapping<A, R> implements Iterator<R> {
  private final JobServer server;
  private final Chunking.Chunk<A, R> chunkFn;
  private final Iterator<? extends A> inputs;
  private final int chunkSize;
  private final int maxInFlight;
  private final Runnable onClose;
  private final Tracker tracker; // or null: nobody watches its progress
  private long submitted; // inputs submitted
  private final LinkedBlockingQueue<Job<List<R>>> done = new LinkedBlockingQueue<>();
  private final Set<Job<List<R>>> inFlight = new HashSet<>();
  private final ArrayDeque<R> ready = new ArrayDeque<>();
  private boolean closed;

  UnorderedMapping(
      JobServer server,
      Task.Fn<? super A, ? extends R> fn,
      Iterator<? extends A> inputs,
      int chunkSize,
      int maxInFlight,
      Runnable onClose,
      Tracker tracker) {
    this.server = server;
    this.chunkFn = new Chunking.Chunk<>(fn);
    this.inputs = inputs;
    this.chunkSize = chunkSize;
    this.maxInFlight = maxInFlight;
    this.onClose = onClose;
    this.tracker = tracker;
  }

  Stream<R> stream() {
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(this, Spliterator.NONNULL), false)
        .onClose(this::close);
  }

  @Override
  public boolean hasNext() {
    while (ready.isEmpty()) {
      if (closed) {
        return false;
      }
      topUp();
      if (inFlight.isEmpty()) {
        if (tracker != null) { // exhausted: the last report
          tracker.total(submitted);
          tracker.finish();
        }
        return false;
      }
      Job<List<R>> job;
      try {
        job = done.take();
      } catch (InterruptedException e) {
        close();
        Thread.currentThread().interrupt();
        throw new CompletionException(e);
      }
      inFlight.remove(job);
      try {
        ready.addAll(job.get()); // done: get() does not block
      } catch (ExecutionException e) {
        close();
        throw new CompletionException(e.getCause());
      } catch (InterruptedException e) {
        throw new AssertionError("get() of a completed job blocked", e);
      }
    }
    return true;
  }

  @Override
  public R next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.poll();
  }

  private void topUp() {
    while (inFlight.size() < maxInFlight && inputs.hasNext()) {
      List<A> chunk = new ArrayList<>(chunkSize);
      while (chunk.size() < chunkSize && inputs.hasNext()) {
        chunk.add(inputs.next());
      }
      Job<List<R>> job = server.submit(chunkFn, chunk);
      inFlight.add(job);
      submitted += chunk.size();
      if (tracker != null) {
        tracker.track(job, chunk.size());
      }
      job.whenComplete((r, e) -> done.add(job));
    }
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Job<List<R>> job : inFlight) {
      job.cancel(true);
    }
    inFlight.clear();
    ready.clear();
    if (tracker != null) {
      tracker.finish();
    }
    onClose.run();
  }
}
