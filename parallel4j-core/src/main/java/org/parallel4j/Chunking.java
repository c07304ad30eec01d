package org.parallel4j;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link JobServer#map}: how it cuts its inputs into jobs (the chunk size from the time per input
 * that the same function took last time), the job that runs one chunk, and the map itself, which
 * submits the chunks and gathers their results in input order. Thread-safe; stateless but for the
 * per-class timing memory.
 */
final class Chunking {
  private Chunking() {}

  private static final long CHUNK_TARGET_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /**
   * The chunk size for a {@code map} of {@code inputs} on {@code w} workers, given the time per
   * input its function took last time ({@code 0}: not known). Between eight and two chunks per
   * worker, as many as give chunks of about {@link #CHUNK_TARGET_NANOS} of work; one chunk per
   * worker when each worker's share is less than that. So tasks of a few microseconds do not drown
   * in the cost of sending chunks, and long ones still balance.
   */
  static int chunkFor(long perInputNanos, int inputs, int w) {
    long perWorker = (inputs + (long) w - 1) / w;
    long fewest = (inputs + 8L * w - 1) / (8L * w);
    if (perInputNanos <= 0) {
      return (int) Math.max(1, fewest);
    }
    if (perWorker * perInputNanos <= CHUNK_TARGET_NANOS) {
      return (int) perWorker; // too little work to be worth balancing
    }
    long byTime = (CHUNK_TARGET_NANOS + perInputNanos - 1) / perInputNanos;
    long balanced = (inputs + 2L * w - 1) / (2L * w);
    return (int) Math.max(1, Math.max(fewest, Math.min(byTime, balanced)));
  }

  /** The time per input of the last {@code map} of each function class: it sizes the next. */
  static final ClassValue<AtomicLong> PER_INPUT_NANOS =
      new ClassValue<>() {
        @Override
        protected AtomicLong computeValue(Class<?> type) {
          return new AtomicLong();
        }
      };

  /**
   * A {@code map}'s function over a slice of its inputs, run as one job. One per {@code map} call,
   * so that worker processes receive the function once and then only slices.
   */
  record Chunk<A, R>(Task.Fn<? super A, ? extends R> fn) implements Task.Fn<List<A>, List<R>> {
    private static final long serialVersionUID = 1L;

    @Override
    public List<R> call(List<A> inputs) throws Exception {
      List<R> results = new ArrayList<>(inputs.size());
      for (A input : inputs) {
        results.add(fn.call(input));
      }
      return results;
    }
  }

  /** {@link JobServer#map(Task.Fn, Iterable, int)}, its arguments checked. */
  static <A, R> List<R> map(
      JobServer server,
      Task.Fn<? super A, ? extends R> fn,
      Iterable<? extends A> inputs,
      int chunkSize,
      ProgressListener listener) {
    List<A> list;
    if (inputs instanceof Collection<? extends A> c) {
      list = new ArrayList<>(c);
    } else {
      list = new ArrayList<>();
      inputs.forEach(list::add);
    }
    List<Job<List<R>>> jobs = new ArrayList<>();
    Chunk<A, R> perChunk = new Chunk<>(fn);
    Tracker tracker = Tracker.of(server, "map", fn, list.size(), listener);
    try {
      int n = list.size();
      int from = 0;
      int chunk = chunkSize;
      if (chunk == 0) {
        int w = server.workers();
        long known = PER_INPUT_NANOS.get(fn.getClass()).get();
        chunk = (long) n <= 4L * w ? 1 : chunkFor(known, n, w);
      }
      for (; from < n; from += chunk) {
        Job<List<R>> job =
            server.submit(perChunk, new ArrayList<>(list.subList(from, Math.min(n, from + chunk))));
        jobs.add(job);
        if (tracker != null) {
          tracker.track(job, Math.min(n, from + chunk) - from);
        }
      }
      List<R> results = new ArrayList<>(n);
      long perInput = Long.MAX_VALUE; // the least: a chunk that waited behind another is longer
      for (Job<List<R>> job : jobs) {
        List<R> some = JobServer.awaitResult(job);
        results.addAll(some);
        if (!some.isEmpty()) {
          perInput = Math.min(perInput, job.runTime().toNanos() / some.size());
        }
      }
      if (perInput != Long.MAX_VALUE) {
        PER_INPUT_NANOS.get(fn.getClass()).set(Math.max(1, perInput));
      }
      return results;
    } finally {
      for (Job<?> job : jobs) {
        job.cancel(true); // no-op for the done ones; stops the rest after a failure
      }
      if (tracker != null) {
        tracker.finish();
      }
    }
  }
}
