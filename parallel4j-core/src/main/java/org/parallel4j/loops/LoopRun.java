package org.parallel4j.loops;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One call of a {@link Parallel} loop: the range, its schedule, and the threads taking part.
 *
 * <h2>Implementation</h2>
 *
 * <b>Participants.</b> The calling thread always takes part; up to {@code threads - 1} helpers from
 * {@link LoopPool} join when they are free. Work is claimed, never assigned, so a loop whose
 * helpers are busy elsewhere still finishes on the caller alone: loops never deadlock.
 *
 * <p><b>Slots.</b> Each piece of work is run with a slot number in {@code [0, threads)}, owned by
 * one thread at a time, where reductions keep their partial results. Under STATIC schedules a slot
 * is a fixed part of the range (block {@code s}, or chunks {@code s, s + threads, ...}), claimed
 * whole, so the grouping of a reduction is the same on every run. Under DYNAMIC and GUIDED a slot
 * is a participant, which claims chunks from a shared cursor until none is left.
 *
 * <p><b>Ending.</b> {@code active} counts threads inside the loop. When the caller runs out of work
 * it closes the loop and waits until {@code active} is zero; a helper that arrives after the close
 * leaves at once. A helper increments before it reads {@code closed}, and the caller writes {@code
 * closed} before it reads {@code active}, so none is missed. The first exception stops the
 * hand-out; it is thrown once every participant has left, later ones suppressed.
 */
final class LoopRun implements Runnable {
  /** The body of a loop over {@code [lo, hi)}, run with the slot that owns that piece. */
  @FunctionalInterface
  interface RangeBody {
    void run(long lo, long hi, int slot);
  }

  private final long from;
  private final long n;
  private final int threads;
  private final Schedule.Kind kind;
  private final long chunk;
  private final RangeBody body;
  private final Thread caller = Thread.currentThread();
  private final AtomicLong cursor = new AtomicLong();
  private final AtomicInteger participants = new AtomicInteger();
  private final AtomicInteger active = new AtomicInteger();
  private final List<Throwable> failures = new ArrayList<>(); // guarded by this
  private volatile boolean closed;
  private volatile boolean failed;

  LoopRun(long from, long to, int threads, Schedule schedule, RangeBody body) {
    this.from = from;
    this.n = to - from;
    this.threads = threads;
    this.kind = schedule.kind();
    this.chunk =
        kind == Schedule.Kind.STATIC
            ? n / threads + (n % threads == 0 ? 0 : 1)
            : (long) schedule.chunk();
    this.body = body;
  }

  /** Runs the loop with the caller and helpers from {@code pool}; throws the first failure. */
  void invoke(LoopPool pool) {
    pool.request(this, threads - 1);
    run();
    closed = true; // no helper enters after this
    pool.withdraw(this); // requests no helper took: do not keep this loop's data reachable
    while (active.get() != 0) {
      LockSupport.park(this);
    }
    Throwable first;
    synchronized (this) {
      if (failures.isEmpty()) {
        return;
      }
      first = failures.get(0);
      for (Throwable t : failures.subList(1, failures.size())) {
        first.addSuppressed(t);
      }
    }
    throw LoopRun.<RuntimeException>sneaky(first);
  }

  /** Takes part: claims and runs work until none is left. Run by the caller and by helpers. */
  @Override
  public void run() {
    active.incrementAndGet();
    if (closed) {
      leave();
      return;
    }
    boolean nested = LoopPool.enter();
    try {
      work();
    } catch (Throwable t) {
      fail(t);
    } finally {
      LoopPool.exit(nested);
      leave();
    }
  }

  private void leave() {
    if (active.decrementAndGet() == 0 && closed) {
      LockSupport.unpark(caller);
    }
  }

  private void fail(Throwable t) {
    failed = true; // stops the hand-out
    synchronized (this) {
      failures.add(t);
    }
  }

  private void work() {
    switch (kind) {
      case STATIC, STATIC_CHUNKS -> {
        long slot;
        while (!failed && (slot = cursor.getAndIncrement()) < threads) {
          runSlot((int) slot);
        }
      }
      case DYNAMIC -> {
        int slot = participants.getAndIncrement();
        long lo;
        while (!failed && (lo = claim(chunk)) < n) {
          body.run(from + lo, from + end(lo, chunk), slot);
        }
      }
      case GUIDED -> {
        int slot = participants.getAndIncrement();
        while (!failed) {
          long lo = cursor.get();
          if (lo >= n) {
            break;
          }
          long left = n - lo;
          long hi = end(lo, Math.max(chunk, left / threads + (left % threads == 0 ? 0 : 1)));
          if (cursor.compareAndSet(lo, hi)) {
            body.run(from + lo, from + hi, slot);
          }
        }
      }
    }
  }

  /** Claims {@code size} iterations from the cursor, never past the end (no overflow). */
  private long claim(long size) {
    while (true) {
      long lo = cursor.get();
      if (lo >= n) {
        return n;
      }
      if (cursor.compareAndSet(lo, end(lo, size))) {
        return lo;
      }
    }
  }

  private void runSlot(int slot) {
    if (kind == Schedule.Kind.STATIC) {
      long lo = slot * chunk;
      if (lo < n) {
        body.run(from + lo, from + end(lo, chunk), slot);
      }
      return;
    }
    long stride = chunk * threads;
    for (long lo = slot * chunk; lo < n && !failed; lo += stride) {
      body.run(from + lo, from + end(lo, chunk), slot);
      if (n - lo <= stride) {
        break; // the next step would pass the end, and lo + stride might overflow
      }
    }
  }

  /** {@code min(n, lo + size)} without overflow. */
  private long end(long lo, long size) {
    return size >= n - lo ? n : lo + size;
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> T sneaky(Throwable t) throws T {
    throw (T) t;
  }
}
