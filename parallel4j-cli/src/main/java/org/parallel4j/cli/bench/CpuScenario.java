package org.parallel4j.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.parallel4j.JobServer;
import org.parallel4j.cli.Engine;
import org.parallel4j.examples.Primes;

/**
 * CPU-bound work, Parallel Python's sum_primes inputs (the sum of the primes below 100,000,
 * 100,100, ... 100,700, each taken several times), serially and on 1 to N platform threads and
 * worker processes: Java threads scale with cores, where the GIL keeps Python's at about 1x.
 */
final class CpuScenario {
  private CpuScenario() {}

  /** The least warm-up of each pool before it is measured. */
  static final java.time.Duration WARM_UP = java.time.Duration.ofSeconds(2);

  static final java.time.Duration WARM_UP_QUICK = java.time.Duration.ofMillis(500);

  static List<Row> run(Bench b) throws Exception {
    List<Long> inputs = new ArrayList<>();
    for (int rep = 0; rep < (b.quick ? 2 : 8); rep++) {
      for (long x = 100_000; x < 100_800; x += 100) {
        inputs.add(x);
      }
    }
    int warmup = b.quick ? 1 : 2;
    int rounds = b.quick ? 3 : 5;
    List<Row> rows = new ArrayList<>();
    b.progress.start("cpu: serial");
    double serial =
        Measure.medianSeconds(
            b.progress,
            warmup,
            rounds,
            () -> {
              for (long x : inputs) {
                Primes.sumBelow(x);
              }
            });
    rows.add(new Row("cpu", "serial", "workers=1", "wall_s", serial, "s"));
    b.progress.end(String.format(Locale.ROOT, "%.3f s", serial));
    for (int w = 1; w <= b.cores; w++) {
      for (Engine engine : List.of(Engine.THREADS, Engine.PROCESSES)) {
        b.progress.start("cpu: " + engine + " workers=" + w);
        double t;
        try (JobServer server = engine.server(w)) {
          // each worker JVM compiles the task and the worker's own paths afresh: warm it up for
          // at least WARM_UP, as the serial loop and the threads were warmed in this JVM, so that
          // the figure is the pool's steady speed (docs/benchmarks.md, worker processes on
          // CPU-bound jobs); the warm-up is timed apart and reported
          long warmStart = System.nanoTime();
          int warmRounds = 0;
          while (warmRounds < warmup
              || System.nanoTime() - warmStart < (b.quick ? WARM_UP_QUICK : WARM_UP).toNanos()) {
            server.map(Primes::sumBelow, inputs, 1);
            warmRounds++;
          }
          t =
              Measure.medianSeconds(
                  b.progress, 0, rounds, () -> server.map(Primes::sumBelow, inputs, 1));
        }
        rows.add(new Row("cpu", engine.label(), "workers=" + w, "wall_s", t, "s"));
        rows.add(new Row("cpu", engine.label(), "workers=" + w, "speedup", serial / t, "x"));
        b.progress.end(String.format(Locale.ROOT, "%.3f s, %.2fx", t, serial / t));
      }
    }
    rows.addAll(b.python("cpu"));
    return rows;
  }
}
