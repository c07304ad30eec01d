package org.parallel4j.bench;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
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
import org.parallel4j.examples.LoopContenders;
import org.parallel4j.loops.Parallel;

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
    return LoopContenders.squares(impl, in, out, loop, fj);
  }

  @Benchmark
  public long irregular() {
    return LoopContenders.runsIrregular(impl) ? LoopContenders.irregular(impl, loop, fj) : 0;
  }
}
