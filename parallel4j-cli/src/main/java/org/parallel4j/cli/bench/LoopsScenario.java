package org.parallel4j.cli.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ForkJoinPool;
import org.parallel4j.examples.LoopContenders;
import org.parallel4j.loops.Parallel;

/**
 * The parallel loops (the article's OpenMP {@code prange}): a memory-bound loop ({@code squares},
 * beside the bandwidth {@code floor} of copying the same bytes) and an irregular one (Mandelbrot
 * rows), for each contender of {@link LoopContenders}.
 *
 * <p>Each contender runs in a JVM of its own, as JMH forks do: a loop body called through one
 * shared loop method is inlined only while that method has seen one or two bodies, so contenders
 * run in turn in one JVM slow each other down (by 3-4x here), which measures the harness, not the
 * loop. See the guide on {@code forChunks} for loops in programs with many loop bodies.
 */
final class LoopsScenario {
  private static final List<String> CONTENDERS =
      List.of("serial", "streams", "forkjoin", "static", "dynamic", "guided", "floor");

  /** How long one contender's JVM may run before it is killed. */
  static final Duration BOUND = Duration.ofMinutes(10);

  private LoopsScenario() {}

  static List<Row> run(Bench b) throws Exception {
    int log2n = b.quick ? 22 : 25;
    int rounds = b.quick ? 3 : 15;
    List<Row> rows = new ArrayList<>();
    for (String workload : List.of("squares", "irregular")) {
      for (String impl : CONTENDERS) {
        if (workload.equals("irregular") && !LoopContenders.runsIrregular(impl)) {
          continue;
        }
        b.progress.start("loops: " + impl + " workload=" + workload);
        Child.Outcome run = inOwnJvm(impl, workload, log2n, rounds);
        if (run.timedOut()) { // said, and no rows: the other contenders still run
          b.progress.end(run.describe("its JVM"));
          continue;
        }
        double s = Measure.median(seconds(run.output()));
        String param = "workload=" + workload;
        rows.add(new Row("loops", impl, param, "wall_s", s, "s"));
        String result = String.format(Locale.ROOT, "%.1f ms", s * 1e3);
        if (workload.equals("squares")) { // read 8 bytes and write 8 per element
          double gbs = 16.0 * (1 << log2n) / s / 1e9;
          rows.add(new Row("loops", impl, param, "gbytes_per_s", gbs, "GB/s"));
          result += String.format(Locale.ROOT, ", %.1f GB/s", gbs);
        }
        b.progress.end(result);
      }
    }
    return rows;
  }

  /**
   * Runs {@code impl} on {@code workload} in a JVM of its own, for at most {@link #BOUND}.
   *
   * @throws IOException when that JVM cannot start, or fails
   */
  private static Child.Outcome inOwnJvm(String impl, String workload, int log2n, int rounds)
      throws IOException, InterruptedException {
    Child.Outcome run =
        Child.run(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms1g",
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                LoopsScenario.class.getName(),
                impl,
                workload,
                Integer.toString(log2n),
                Integer.toString(rounds)),
            BOUND);
    if (!run.timedOut() && run.exitCode() != 0) {
      throw new IOException(
          "the loops run for "
              + impl
              + " "
              + workload
              + " failed ("
              + run.describe("it")
              + "): "
              + run.output());
    }
    return run;
  }

  /** The seconds of each measured round, as {@link #main(String[])} prints them: one a line. */
  private static List<Double> seconds(String output) {
    List<Double> seconds = new ArrayList<>();
    for (String line : output.split("\n")) {
      if (!line.isBlank()) {
        seconds.add(Double.parseDouble(line.strip()));
      }
    }
    return seconds;
  }

  /**
   * Runs one contender: arguments impl, workload, log2 of the array size, rounds; prints the
   * seconds of each measured round, one per line, after a fifth as many warm-up rounds.
   */
  public static void main(String[] args) {
    String impl = args[0];
    String workload = args[1];
    int n = 1 << Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    double[] in = new double[n];
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      in[i] = i * 0.5;
    }
    Parallel.Loop loop = Parallel.loop();
    int cores = Runtime.getRuntime().availableProcessors();
    try (ForkJoinPool fj = new ForkJoinPool(cores)) {
      int warmup = Math.max(2, rounds / 5);
      for (int r = 0; r < warmup + rounds; r++) {
        long t0 = System.nanoTime();
        if (workload.equals("squares")) {
          LoopContenders.squares(impl, in, out, loop, fj);
        } else {
          LoopContenders.irregular(impl, loop, fj);
        }
        if (r >= warmup) {
          System.out.println((System.nanoTime() - t0) / 1e9);
        }
      }
    }
  }
}
