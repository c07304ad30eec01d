package org.parallel4j.examples;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.RecursiveTask;
import java.util.stream.IntStream;
import org.parallel4j.loops.Parallel;
import org.parallel4j.loops.Schedule;

/**
 * The contenders of the parallel-loop benchmarks (the JMH {@code LoopsBenchmark} and {@code
 * parallel4j bench loops}), written once:
 *
 * <ul>
 *   <li>{@code squares}: {@code out[i] = in[i] * in[i]}, a loop bound by memory bandwidth; {@code
 *       floor} copies the same bytes with {@code System.arraycopy}, one block per thread, the most
 *       any loop over these arrays can hope for.
 *   <li>{@code irregular}: the points of each row of the upper half of the Mandelbrot window that
 *       stay bounded, 1024 rows, 500 iterations: rows near the set cost far more than the others.
 * </ul>
 *
 * <p>Contenders: {@code serial}, {@code streams} (parallel {@code IntStream}), {@code forkjoin} (a
 * hand-written {@code RecursiveAction}, four leaves per thread), {@code static}, {@code dynamic},
 * {@code guided} ({@code Parallel.loop()} schedules: {@code dynamic(8192)}, {@code guided(4096)}
 * for squares, one row for irregular), {@code chunked} ({@code forChunks}, squares only) and {@code
 * floor} (squares only).
 */
public final class LoopContenders {
  /** Rows of the irregular loop. */
  public static final int ROWS = 1024;

  /** Iterations per point of the irregular loop. */
  public static final int MAX_ITERATIONS = 500;

  private LoopContenders() {}

  /** Whether {@code impl} runs the irregular loop (chunked and floor are for squares only). */
  public static boolean runsIrregular(String impl) {
    return !impl.equals("chunked") && !impl.equals("floor");
  }

  /** Squares {@code a} into {@code b} with {@code impl}; returns the last element. */
  public static double squares(
      String impl, double[] a, double[] b, Parallel.Loop loop, ForkJoinPool fj) {
    int n = a.length;
    switch (impl) {
      case "serial" -> {
        for (int i = 0; i < n; i++) {
          b[i] = a[i] * a[i];
        }
      }
      case "streams" -> IntStream.range(0, n).parallel().forEach(i -> b[i] = a[i] * a[i]);
      case "forkjoin" ->
          fj.invoke(new Squares(a, b, 0, n, Math.max(1, n / (fj.getParallelism() * 4))));
      case "static" -> loop.forRange(0, n, i -> b[i] = a[i] * a[i]);
      case "dynamic" ->
          loop.schedule(Schedule.dynamic(8192)).forRange(0, n, i -> b[i] = a[i] * a[i]);
      case "guided" -> loop.schedule(Schedule.guided(4096)).forRange(0, n, i -> b[i] = a[i] * a[i]);
      case "chunked" ->
          loop.forChunks(
              0,
              n,
              (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                  b[i] = a[i] * a[i];
                }
              });
      case "floor" -> {
        int parts = loop.threads();
        long block = (n + parts - 1L) / parts;
        loop.forRange(
            0,
            parts,
            p -> {
              int lo = (int) (p * block);
              int hi = (int) Math.min(n, lo + block);
              if (lo < hi) {
                System.arraycopy(a, lo, b, lo, hi - lo);
              }
            });
      }
      default -> throw new IllegalArgumentException("impl: " + impl);
    }
    return b[n - 1];
  }

  /** Counts the bounded points of the irregular loop with {@code impl}. */
  public static long irregular(String impl, Parallel.Loop loop, ForkJoinPool fj) {
    return switch (impl) {
      case "serial" -> {
        long s = 0;
        for (int r = 0; r < ROWS; r++) {
          s += ParallelLoops.mandelbrotRow(r, ROWS, MAX_ITERATIONS);
        }
        yield s;
      }
      case "streams" ->
          IntStream.range(0, ROWS)
              .parallel()
              .mapToLong(r -> ParallelLoops.mandelbrotRow(r, ROWS, MAX_ITERATIONS))
              .sum();
      case "forkjoin" ->
          fj.invoke(new Rows(0, ROWS, Math.max(1, ROWS / (fj.getParallelism() * 4))));
      case "static" -> ParallelLoops.mandelbrot(loop, ROWS, MAX_ITERATIONS);
      case "dynamic" ->
          ParallelLoops.mandelbrot(loop.schedule(Schedule.dynamic(1)), ROWS, MAX_ITERATIONS);
      case "guided" ->
          ParallelLoops.mandelbrot(loop.schedule(Schedule.guided(1)), ROWS, MAX_ITERATIONS);
      default -> throw new IllegalArgumentException("impl for the irregular loop: " + impl);
    };
  }

  /** The hand-written fork/join contender for squares. */
  @SuppressWarnings("serial")
  private static final class Squares extends RecursiveAction {
    final double[] a;
    final double[] b;
    final int lo;
    final int hi;
    final int leaf;

    Squares(double[] a, double[] b, int lo, int hi, int leaf) {
      this.a = a;
      this.b = b;
      this.lo = lo;
      this.hi = hi;
      this.leaf = leaf;
    }

    @Override
    protected void compute() {
      if (hi - lo <= leaf) {
        for (int i = lo; i < hi; i++) {
          b[i] = a[i] * a[i];
        }
        return;
      }
      int mid = (lo + hi) >>> 1;
      invokeAll(new Squares(a, b, lo, mid, leaf), new Squares(a, b, mid, hi, leaf));
    }
  }

  /** The hand-written fork/join contender for the irregular loop. */
  @SuppressWarnings("serial")
  private static final class Rows extends RecursiveTask<Long> {
    final int lo;
    final int hi;
    final int leaf;

    Rows(int lo, int hi, int leaf) {
      this.lo = lo;
      this.hi = hi;
      this.leaf = leaf;
    }

    @Override
    protected Long compute() {
      if (hi - lo <= leaf) {
        long s = 0;
        for (int r = lo; r < hi; r++) {
          s += ParallelLoops.mandelbrotRow(r, ROWS, MAX_ITERATIONS);
        }
        return s;
      }
      int mid = (lo + hi) >>> 1;
      Rows left = new Rows(lo, mid, leaf);
      left.fork();
      return new Rows(mid, hi, leaf).compute() + left.join();
    }
  }
}
