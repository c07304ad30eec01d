package org.parallel4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How {@link JobServer#map} cuts its inputs into jobs: the chunk size from the time per input that
 * the same function took last time, and the job that runs one chunk. Thread-safe; stateless but for
 * the per-class timing memory.
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
}
