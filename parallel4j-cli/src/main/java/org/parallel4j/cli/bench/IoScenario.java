package org.parallel4j.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.parallel4j.JobServer;
import org.parallel4j.Task;
import org.parallel4j.cli.Engine;

/**
 * The article's figure 2, scaled up: K tasks that each wait on I/O — a request to a local HTTP
 * server that answers after a fixed delay, or a plain sleep — serially and on threads, virtual
 * threads and worker processes. Waiting overlaps on threads; virtual threads take it to 10,000
 * tasks (PyParallel's promise); worker processes, one task at a time each, do not help.
 *
 * <p>Limits, so that a run ends in bounded time: serial runs only while K × delay is at most half a
 * second; platform threads (one per task) up to 1,000 tasks; processes (one per core) up to 100;
 * HTTP requests up to 1,000 at once (each holds two sockets in this process).
 */
final class IoScenario {
  private IoScenario() {}

  static List<Row> run(Bench b) throws Exception {
    long delay = b.quick ? 20 : 100;
    int[] counts = {3, 100, 1000, 10_000};
    int rounds = b.quick ? 1 : 3;
    List<Row> rows = new ArrayList<>();
    try (Io io = new Io(delay)) {
      String url = io.url();
      Io.fetch(url); // the server answers before timing starts
      for (int k : counts) {
        for (String wait : List.of("http", "sleep")) {
          if (wait.equals("http") && k > 1000) {
            continue;
          }
          String param = wait.equals("http") ? "tasks=" + k : "tasks=" + k + ",wait=sleep";
          Task.Fn<Object, Object> task =
              wait.equals("http") ? x -> Io.fetch((String) x) : x -> Io.sleep((Long) x);
          Object arg = wait.equals("http") ? url : (Object) delay;
          if (k * delay <= 500) {
            measure(b, "serial", param, () -> serial(b, k, task, arg, rounds), rows);
          }
          for (Engine engine : Engine.values()) {
            if (engine == Engine.THREADS && k > 1000 || engine == Engine.PROCESSES && k > 100) {
              continue;
            }
            measure(b, engine.label(), param, () -> time(b, engine, k, task, arg, rounds), rows);
          }
        }
      }
    }
    rows.addAll(
        b.python(
            "io",
            "--io-counts",
            "3,100,1000,10000",
            "--io-delay",
            Double.toString(delay / 1000.0)));
    return rows;
  }

  /** Times one engine on one set of tasks, said on the progress line: a row. */
  private static void measure(
      Bench b, String engine, String param, Callable<Double> seconds, List<Row> rows)
      throws Exception {
    b.progress.start("io: " + engine + " " + param);
    double s = seconds.call();
    rows.add(new Row("io", engine, param, "wall_s", s, "s"));
    b.progress.end(String.format(Locale.ROOT, "%.3f s", s));
  }

  private static double serial(Bench b, int k, Task.Fn<Object, Object> task, Object arg, int rounds)
      throws Exception {
    return Measure.medianSeconds(
        b.progress,
        0,
        rounds,
        () -> {
          for (int i = 0; i < k; i++) {
            task.call(arg);
            b.progress.advance((i + 1.0) / k);
          }
        });
  }

  private static double time(
      Bench b, Engine engine, int k, Task.Fn<Object, Object> task, Object arg, int rounds)
      throws Exception {
    List<Object> args = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      args.add(arg);
    }
    // a platform thread per task; a worker process per core
    try (JobServer server = engine.server(engine == Engine.THREADS ? k : b.cores)) {
      server.submit(task, arg).get(); // started, before timing
      return Measure.medianSeconds(b.progress, 0, rounds, () -> server.map(task, args, 1));
    }
  }
}
