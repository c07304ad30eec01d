package org.parallel4j.loops;

import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.DoubleBinaryOperator;
import java.util.function.IntBinaryOperator;
import java.util.function.IntConsumer;
import java.util.function.IntToDoubleFunction;
import java.util.function.IntToLongFunction;
import java.util.function.IntUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.LongConsumer;

/**
 * Parallel loops over index ranges: OpenMP's {@code parallel for} and Cython's {@code prange}
 * (article section 2.7), over primitives, with no boxing.
 *
 * {@snippet lang = java :
 * Parallel.forRange(0, size, i -> out[i] = inp[i] * inp[i]);   // for i in prange(size)
 * Parallel.forChunks(0, size, (lo, hi) -> {                     // the same, for hot loops
 *   for (int i = lo; i < hi; i++) {
 *     out[i] = inp[i] * inp[i];
 *   }
 * });
 * double total = Parallel.loop()
 *     .schedule(Schedule.dynamic(1024))
 *     .sumDouble(0, size, i -> inp[i]);
 * }
 *
 * <h2>Settings</h2>
 *
 * A {@link Loop} is an immutable set of options; {@link #loop()} gives the defaults.
 *
 * <ul>
 *   <li>{@code threads}: how many threads take part, the caller included. Default: the number of
 *       available processors.
 *   <li>{@code schedule}: how the range is divided; see {@link Schedule}. Default {@link
 *       Schedule#STATIC}.
 * </ul>
 *
 * <h2>Threads, nesting and failure</h2>
 *
 * The calling thread takes part in its loop; helpers come from a shared pool of daemon threads
 * ({@code parallel4j-loop-N}) that end after 30 s idle. Work is claimed rather than assigned, so a
 * loop finishes even when every helper is busy elsewhere: calling a loop from a {@link
 * org.parallel4j.JobServer} task, or from many threads at once, never deadlocks. A loop called from
 * inside the body of another loop runs serially in the calling thread. When the body throws, no
 * further chunks are handed out; once every thread has left the loop, the first exception is
 * rethrown with later ones suppressed. When a call returns or throws, no thread is running its body
 * any more.
 *
 * <h2>Reductions</h2>
 *
 * Sums, minima, maxima and general {@code reduce*} operations keep one partial result per thread
 * slot and combine the slots in order. Integer reductions are exact and deterministic: {@code
 * sumLong} wraps on overflow exactly as a serial loop does, and {@code sumInt} returns the exact
 * sum as a {@code long}. Floating-point sums are reassociated: under a STATIC schedule each slot
 * adds its part of the range left to right and the slots are added in order, so the result is the
 * same on every run with the same thread count, but may differ in the last bits from a serial loop
 * or another thread count; under DYNAMIC and GUIDED the parts each slot adds depend on timing, so
 * the result may also differ between runs. A {@code reduce*} operator must be associative and
 * {@code identity} neutral for it.
 *
 * <p>Thread-safe. Memory consistency effects: actions before the call happen-before every
 * iteration, and every iteration happens-before the call returns.
 */
public final class Parallel {
  private static final Loop DEFAULTS =
      new Loop(Runtime.getRuntime().availableProcessors(), Schedule.STATIC);

  private Parallel() {}

  /** The default loop options: one thread per processor, {@link Schedule#STATIC}. */
  public static Loop loop() {
    return DEFAULTS;
  }

  /** Runs {@code body(i)} for every {@code i} in {@code [from, to)} with the default options. */
  public static void forRange(int from, int to, IntConsumer body) {
    DEFAULTS.forRange(from, to, body);
  }

  /** Runs {@code body(i)} for every {@code i} in {@code [from, to)}, for ranges of any size. */
  public static void forRangeLong(long from, long to, LongConsumer body) {
    DEFAULTS.forRangeLong(from, to, body);
  }

  /**
   * Runs {@code body(lo, hi)} over disjoint chunks that cover {@code [from, to)}, with the default
   * options; the body loops over its chunk itself. See {@link Loop#forChunks}.
   */
  public static void forChunks(int from, int to, IntRangeBody body) {
    DEFAULTS.forChunks(from, to, body);
  }

  /** A loop body over one chunk {@code [lo, hi)} of an {@code int} range. */
  @FunctionalInterface
  public interface IntRangeBody {
    /** Runs the iterations {@code lo} (inclusive) to {@code hi} (exclusive). */
    void accept(int lo, int hi);
  }

  /** A loop body over one chunk {@code [lo, hi)} of a {@code long} range. */
  @FunctionalInterface
  public interface LongRangeBody {
    /** Runs the iterations {@code lo} (inclusive) to {@code hi} (exclusive). */
    void accept(long lo, long hi);
  }

  /**
   * Loop options and the loops that use them. Immutable: {@link #threads(int)} and {@link
   * #schedule(Schedule)} return a new instance. Thread-safe.
   */
  public static final class Loop {
    private final int threads;
    private final Schedule schedule;

    private Loop(int threads, Schedule schedule) {
      this.threads = threads;
      this.schedule = schedule;
    }

    /** These options with {@code threads} threads, the caller included. */
    public Loop threads(int threads) {
      Schedule.checkPositive("threads", threads);
      return new Loop(threads, schedule);
    }

    /** These options with {@code schedule}. */
    public Loop schedule(Schedule schedule) {
      return new Loop(threads, java.util.Objects.requireNonNull(schedule, "schedule"));
    }

    /** The number of threads. */
    public int threads() {
      return threads;
    }

    /** The schedule. */
    public Schedule schedule() {
      return schedule;
    }

    @Override
    public String toString() {
      return "loop (threads=" + threads + ", schedule=" + schedule + ")";
    }

    // ---- loops ------------------------------------------------------------------------------

    /** Runs {@code body(i)} for every {@code i} in {@code [from, to)}. */
    public void forRange(int from, int to, IntConsumer body) {
      java.util.Objects.requireNonNull(body, "body");
      run(
          from,
          to,
          (lo, hi, slot) -> {
            for (int i = (int) lo, end = (int) hi; i < end; i++) {
              body.accept(i);
            }
          });
    }

    /** Runs {@code body(i)} for every {@code i} in {@code [from, to)}, for ranges of any size. */
    public void forRangeLong(long from, long to, LongConsumer body) {
      java.util.Objects.requireNonNull(body, "body");
      run(
          from,
          to,
          (lo, hi, slot) -> {
            for (long i = lo; i < hi; i++) {
              body.accept(i);
            }
          });
    }

    /**
     * Runs {@code body(lo, hi)} over disjoint chunks that together cover {@code [from, to)}, as the
     * schedule divides them; the body writes the inner loop itself.
     *
     * <p>Prefer it for hot loops. {@link #forRange(int, int, IntConsumer)} calls its body once per
     * index from one call site inside parallel4j, shared by every loop in the JVM: once several
     * different bodies have run there, the JIT can no longer inline the body, and each iteration
     * pays a virtual call (docs/benchmarks.md has the figures). Here the inner loop is the caller's
     * own code, compiled for that body alone, as in a hand-written fork/join task.
     */
    public void forChunks(int from, int to, IntRangeBody body) {
      java.util.Objects.requireNonNull(body, "body");
      run(from, to, (lo, hi, slot) -> body.accept((int) lo, (int) hi));
    }

    /** As {@link #forChunks(int, int, IntRangeBody)}, for ranges of any size. */
    public void forChunksLong(long from, long to, LongRangeBody body) {
      java.util.Objects.requireNonNull(body, "body");
      run(from, to, (lo, hi, slot) -> body.accept(lo, hi));
    }

    // ---- sums -------------------------------------------------------------------------------

    /** The exact sum of {@code f(i)} over {@code [from, to)}, as a {@code long}. */
    public long sumInt(int from, int to, IntUnaryOperator f) {
      java.util.Objects.requireNonNull(f, "f");
      long[] acc = new long[threads];
      run(
          from,
          to,
          (lo, hi, slot) -> {
            long s = 0;
            for (int i = (int) lo, end = (int) hi; i < end; i++) {
              s += f.applyAsInt(i);
            }
            acc[slot] += s;
          });
      return sum(acc);
    }

    /** The sum of {@code f(i)} over {@code [from, to)}, wrapping on overflow as a loop does. */
    public long sumLong(int from, int to, IntToLongFunction f) {
      java.util.Objects.requireNonNull(f, "f");
      long[] acc = new long[threads];
      run(
          from,
          to,
          (lo, hi, slot) -> {
            long s = 0;
            for (int i = (int) lo, end = (int) hi; i < end; i++) {
              s += f.applyAsLong(i);
            }
            acc[slot] += s;
          });
      return sum(acc);
    }

    /** The sum of {@code f(i)} over {@code [from, to)}; see the class doc on its ordering. */
    public double sumDouble(int from, int to, IntToDoubleFunction f) {
      java.util.Objects.requireNonNull(f, "f");
      double[] acc = new double[threads];
      run(
          from,
          to,
          (lo, hi, slot) -> {
            double s = 0;
            for (int i = (int) lo, end = (int) hi; i < end; i++) {
              s += f.applyAsDouble(i);
            }
            acc[slot] += s;
          });
      double total = 0;
      for (double a : acc) {
        total += a;
      }
      return total;
    }

    // ---- min and max ------------------------------------------------------------------------

    /** The least {@code f(i)} over {@code [from, to)}; empty for an empty range. */
    public OptionalInt minInt(int from, int to, IntUnaryOperator f) {
      return from >= to
          ? OptionalInt.empty()
          : OptionalInt.of(reduceInt(from, to, Integer.MAX_VALUE, f, Math::min));
    }

    /** The greatest {@code f(i)} over {@code [from, to)}; empty for an empty range. */
    public OptionalInt maxInt(int from, int to, IntUnaryOperator f) {
      return from >= to
          ? OptionalInt.empty()
          : OptionalInt.of(reduceInt(from, to, Integer.MIN_VALUE, f, Math::max));
    }

    /** The least {@code f(i)} over {@code [from, to)}; empty for an empty range. */
    public OptionalLong minLong(int from, int to, IntToLongFunction f) {
      return from >= to
          ? OptionalLong.empty()
          : OptionalLong.of(reduceLong(from, to, Long.MAX_VALUE, f, Math::min));
    }

    /** The greatest {@code f(i)} over {@code [from, to)}; empty for an empty range. */
    public OptionalLong maxLong(int from, int to, IntToLongFunction f) {
      return from >= to
          ? OptionalLong.empty()
          : OptionalLong.of(reduceLong(from, to, Long.MIN_VALUE, f, Math::max));
    }

    /** The least {@code f(i)} ({@link Math#min}: NaN if any is NaN); empty for an empty range. */
    public OptionalDouble minDouble(int from, int to, IntToDoubleFunction f) {
      return from >= to
          ? OptionalDouble.empty()
          : OptionalDouble.of(reduceDouble(from, to, Double.POSITIVE_INFINITY, f, Math::min));
    }

    /**
     * The greatest {@code f(i)} ({@link Math#max}: NaN if any is NaN); empty for an empty range.
     */
    public OptionalDouble maxDouble(int from, int to, IntToDoubleFunction f) {
      return from >= to
          ? OptionalDouble.empty()
          : OptionalDouble.of(reduceDouble(from, to, Double.NEGATIVE_INFINITY, f, Math::max));
    }

    // ---- general reductions -----------------------------------------------------------------

    /** {@code identity op f(from) op ... op f(to - 1)}, grouped by slot; {@code op} associative. */
    public int reduceInt(int from, int to, int identity, IntUnaryOperator f, IntBinaryOperator op) {
      java.util.Objects.requireNonNull(f, "f");
      java.util.Objects.requireNonNull(op, "op");
      int[] acc = new int[threads];
      java.util.Arrays.fill(acc, identity);
      run(
          from,
          to,
          (lo, hi, slot) -> {
            int a = acc[slot];
            for (int i = (int) lo, end = (int) hi; i < end; i++) {
              a = op.applyAsInt(a, f.applyAsInt(i));
            }
            acc[slot] = a;
          });
      int total = identity;
      for (int a : acc) {
        total = op.applyAsInt(total, a);
      }
      return total;
    }

    /** As {@link #reduceInt}, over {@code long} values. */
    public long reduceLong(
        int from, int to, long identity, IntToLongFunction f, LongBinaryOperator op) {
      java.util.Objects.requireNonNull(f, "f");
      java.util.Objects.requireNonNull(op, "op");
      long[] acc = new long[threads];
      java.util.Arrays.fill(acc, identity);
      run(
          from,
          to,
          (lo, hi, slot) -> {
            long a = acc[slot];
            for (int i = (int) lo, end = (int) hi; i < end; i++) {
              a = op.applyAsLong(a, f.applyAsLong(i));
            }
            acc[slot] = a;
          });
      long total = identity;
      for (long a : acc) {
        total = op.applyAsLong(total, a);
      }
      return total;
    }

    /** As {@link #reduceInt}, over {@code double} values; see the class doc on ordering. */
    public double reduceDouble(
        int from, int to, double identity, IntToDoubleFunction f, DoubleBinaryOperator op) {
      java.util.Objects.requireNonNull(f, "f");
      java.util.Objects.requireNonNull(op, "op");
      double[] acc = new double[threads];
      java.util.Arrays.fill(acc, identity);
      run(
          from,
          to,
          (lo, hi, slot) -> {
            double a = acc[slot];
            for (int i = (int) lo, end = (int) hi; i < end; i++) {
              a = op.applyAsDouble(a, f.applyAsDouble(i));
            }
            acc[slot] = a;
          });
      double total = identity;
      for (double a : acc) {
        total = op.applyAsDouble(total, a);
      }
      return total;
    }

    // ---- engine -----------------------------------------------------------------------------

    private void run(long from, long to, LoopRun.RangeBody body) {
      if (from >= to) {
        return;
      }
      if (to - from < 0) { // the range has more than Long.MAX_VALUE iterations
        throw new IllegalArgumentException(
            "range: ["
                + from
                + ", "
                + to
                + ") (expected: at most "
                + Long.MAX_VALUE
                + " iterations)");
      }
      if (threads == 1 || to - from == 1 || LoopPool.inLoop()) {
        // one thread, one iteration, or nested in another loop's body: serial, in this thread
        body.run(from, to, 0);
        return;
      }
      new LoopRun(from, to, threads, schedule, body).invoke(LoopPool.SHARED);
    }

    private static long sum(long[] acc) {
      long total = 0;
      for (long a : acc) {
        total += a;
      }
      return total;
    }
  }
}
