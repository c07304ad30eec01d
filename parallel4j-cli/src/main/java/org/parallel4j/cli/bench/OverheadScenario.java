package org.parallel4j.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.cli.Engine;

/**
 * What a task costs on each engine, and how long a task must be for an engine to pay off (the
 * article's warning that the work must outweigh the communication): how long a new server takes to
 * its first result ({@code mode=start}: for worker processes, the JVMs' start, after a first server
 * that may record their start-up cache), trivial-task throughput with one {@code submit} per task
 * and with {@code map}, the sequential round trip, and the speed-up over a serial loop of tasks
 * that each keep a core busy for 1 µs to 100 ms, batched by {@code map}'s chunking and not batched
 * (one job per task).
 */
final class OverheadScenario {
  private OverheadScenario() {}

  static List<Row> run(Bench b) throws Exception {
    List<Row> rows = new ArrayList<>();
    for (Engine engine : Engine.values()) {
      start(b, engine, rows);
      try (JobServer server = engine.server(b.cores)) {
        trivial(b, engine, server, rows);
        for (int micros :
            b.quick ? new int[] {1, 100, 10_000} : new int[] {1, 10, 100, 1000, 10_000, 100_000}) {
          taskSize(b, engine, server, micros, rows);
        }
      }
    }
    rows.addAll(b.python("overhead"));
    return rows;
  }

  /**
   * A new server of {@code b.cores} workers to the result of its first trivial task, median of
   * several; closing it is not counted. The first server is not counted either: it may record the
   * worker processes' start-up cache, which later servers start from.
   */
  private static void start(Bench b, Engine engine, List<Row> rows) throws Exception {
    int rounds = b.quick ? 3 : 7;
    b.progress.start("overhead: " + engine + " mode=start");
    List<Double> millis = new ArrayList<>(rounds);
    for (int i = 0; i <= rounds; i++) {
      long t0 = System.nanoTime();
      try (JobServer server = engine.server(b.cores)) {
        server.submit(x -> x + 1, 1).get();
        if (i > 0) {
          millis.add((System.nanoTime() - t0) / 1e6);
        }
      }
      b.progress.advance((i + 1.0) / (rounds + 1));
    }
    double p50 = Measure.median(millis);
    rows.add(new Row("overhead", engine.label(), "mode=start", "start_ms", p50, "ms"));
    b.progress.end(String.format(Locale.ROOT, "%.1f ms", p50));
  }

  private static void trivial(Bench b, Engine engine, JobServer server, List<Row> rows)
      throws Exception {
    int n = b.quick ? 20_000 : 100_000;
    b.progress.start("overhead: " + engine + " mode=submit");
    double submit =
        Measure.medianSeconds(
            b.progress,
            b.quick ? 3 : 10,
            b.quick ? 3 : 5,
            () -> {
              List<Job<Integer>> jobs = new ArrayList<>(n);
              for (int i = 0; i < n; i++) {
                jobs.add(server.submit(x -> x + 1, i));
              }
              for (Job<Integer> job : jobs) {
                job.get();
              }
            });
    rows.add(new Row("overhead", engine.label(), "mode=submit", "tasks_per_s", n / submit, "1/s"));
    b.progress.end(String.format(Locale.ROOT, "%,.0f tasks/s", n / submit));

    List<Integer> inputs = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      inputs.add(i);
    }
    b.progress.start("overhead: " + engine + " mode=map");
    double map =
        Measure.medianSeconds(
            b.progress,
            b.quick ? 200 : 1500,
            b.quick ? 50 : 300,
            () -> server.map(x -> x + 1, inputs));
    rows.add(
        new Row("overhead", engine.label(), "mode=map", "tasks_per_s", inputs.size() / map, "1/s"));
    b.progress.end(String.format(Locale.ROOT, "%,.0f tasks/s", inputs.size() / map));

    b.progress.start("overhead: " + engine + " mode=sequential");
    int warm = b.quick ? 500 : 5000;
    int count = b.quick ? 1000 : 5000;
    double p50 = Measure.roundTripMicros(b.progress, server, warm, count);
    rows.add(new Row("overhead", engine.label(), "mode=sequential", "rtt_us_p50", p50, "us"));
    b.progress.end(String.format(Locale.ROOT, "%.1f us", p50));
  }

  private static void taskSize(Bench b, Engine engine, JobServer server, int micros, List<Row> rows)
      throws Exception {
    long workNanos = (b.quick ? 100 : 400) * 1_000_000L; // of serial work per measurement
    int tasks = (int) Math.max(4L * b.cores, Math.min(20_000, workNanos / (micros * 1000L)));
    List<Integer> inputs = new ArrayList<>(tasks);
    for (int i = 0; i < tasks; i++) {
      inputs.add(micros);
    }
    int rounds = b.quick ? 2 : 3;
    b.progress.start("overhead: " + engine + " task_us=" + micros);
    double serial =
        Measure.medianSeconds(
            b.progress,
            1,
            rounds,
            () -> {
              for (int x : inputs) {
                Measure.spin(x);
              }
            });
    double batched =
        Measure.medianSeconds(b.progress, 1, rounds, () -> server.map(Measure::spin, inputs));
    double single =
        Measure.medianSeconds(b.progress, 1, rounds, () -> server.map(Measure::spin, inputs, 1));
    rows.add(
        new Row("overhead", engine.label(), "task_us=" + micros, "speedup", serial / batched, "x"));
    rows.add(
        new Row(
            "overhead",
            engine.label(),
            "task_us=" + micros + ",batched=no",
            "speedup",
            serial / single,
            "x"));
    b.progress.end(
        String.format(
            Locale.ROOT,
            "%.2fx batched, %.2fx one job per task",
            serial / batched,
            serial / single));
  }
}
