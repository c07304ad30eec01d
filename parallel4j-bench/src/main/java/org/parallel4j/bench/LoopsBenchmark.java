package org.parallel4j.bench;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.parallel4j.Parallel;
import org.parallel4j.Schedule;
import org.parallel4j.examples.ParallelLoops;

/**
 * Parallel loops (article section 2.7) against the JDK's ways of writing them, all contenders in
 * one run, on {@code threads} threads:
 *
 * <ul>
 *   <li>{@code squares}: {@code out[i] = in[i] * in[i]} over {@code 2^log2Size} doubles, a loop
 *       bound by memory bandwidth; {@code floor} copies the same bytes with {@code
 *       System.arraycopy} split over the same threads, the most the memory system gives.
 *   <li>{@code irregular}: bounded points per row of the upper half of the Mandelbrot window, 1024
 *       rows of very uneven cost, where the schedule decides the balance.
 * </ul>
 *
 * <p>Contenders ({@code impl}): {@code serial} (a plain loop), {@code streams} ({@code
 * IntStream.range(...).parallel()}, on the common pool), {@code forkjoin} (a {@code
 * RecursiveAction} splitting to 4 leaves per thread, on a {@code ForkJoinPool(threads)}), {@code
 * static}, {@code dynamic} and {@code guided} ({@code Parallel} with that schedule: {@code
 * dynamic(8192)}, {@code guided(4096)} for squares; {@code dynamic(1)}, {@code guided(1)} rows for
 * irregular), {@code chunked} ({@code Parallel.forChunks}, STATIC, the inner loop written by the
 * caller; squares only) and {@code floor} (squares only).
 *
 * <p>Run: {@code ./build package && java -jar parallel4j-bench/target/benchmarks.jar Loops -rf json
 * -rff loops.json}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class LoopsBenchmark {
  @Param({"serial", "streams", "forkjoin", "static", "dynamic", "guided", "chunked", "floor"})
  public String impl;

  @Param({"27"})
  public int log2Size;

  @Param({"0"}) // 0: one per processor
  public int threads;

  private double[] in;
  private double[] out;
  private int n;
  private ForkJoinPool fj;
  private Parallel.Loop loop;

  @Setup(Level.Trial)
  public void setUp() {
    int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    loop = Parallel.loop().threads(t);
    fj = new ForkJoinPool(t);
    n = 1 << log2Size;
    in = new double[n];
    out = new double[n];
    Parallel.forRange(0, n, i -> in[i] = i * 0.5);
  }

  /** Uses {@code other}'s arrays instead of this state's own (for {@link PairedLoops}). */
  void shareArrays(LoopsBenchmark other) {
    int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    loop = Parallel.loop().threads(t);
    fj = new ForkJoinPool(t);
    n = other.n;
    in = other.in;
    out = other.out;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    fj.close();
  }

  @Benchmark
  public double squares() {
    double[] a = in;
    double[] b = out;
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

  private static final int ROWS = 1024;
  private static final int MAX_ITERATIONS = 500;

  @Benchmark
  public long irregular() {
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
      case "chunked" -> 0; // squares only: the per-row body already loops inside
      case "floor" -> 0; // no bandwidth floor for a compute-bound loop
      default -> throw new IllegalArgumentException("impl: " + impl);
    };
  }

  /** The hand-written fork/join contender for squares. */
  @SuppressWarnings("serial")
  static final class Squares extends RecursiveAction {
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
  static final class Rows extends java.util.concurrent.RecursiveTask<Long> {
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
