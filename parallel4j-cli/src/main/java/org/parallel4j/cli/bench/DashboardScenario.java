package org.parallel4j.cli.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.JobServerBuilder;

/**
 * What the dashboard costs a run of many small jobs: the same run (submit every job, then wait for
 * all) on a server without a dashboard, with one nobody looks at, and with one a viewer polls once
 * a second as the page does (which turns on the task stream's recording). The three servers run in
 * turn, round after round, in this JVM, each first in turn, each run after a GC; each figure is the
 * median of its rounds, and its ratio to the server without one the median of the rounds' ratios
 * (each run beside the other's in the same round).
 */
final class DashboardScenario {
  /** The three servers. */
  enum Viewer {
    NONE,
    IDLE,
    POLLING
  }

  private DashboardScenario() {}

  static List<Row> run(Bench b) throws Exception {
    int rounds = b.quick ? 5 : 11;
    List<Row> rows = new ArrayList<>();
    for (String engine : List.of("threads", "processes")) {
      // about a quarter of a second a run: threads end a job in a fifth of a microsecond here
      int jobs = (engine.equals("threads") ? 1_000_000 : 200_000) / (b.quick ? 5 : 1);
      b.progress.start("dashboard: " + engine + " jobs=" + jobs + ", 3 servers in turn");
      Map<Viewer, List<Double>> times = new EnumMap<>(Viewer.class);
      Map<Viewer, JobServer> servers = new EnumMap<>(Viewer.class);
      Thread poller = null;
      List<Double> pollMillis = java.util.Collections.synchronizedList(new ArrayList<>());
      try {
        for (Viewer v : Viewer.values()) {
          JobServerBuilder builder =
              engine.equals("threads")
                  ? JobServer.builder().threads(b.cores)
                  : JobServer.builder().processes(b.cores);
          if (v != Viewer.NONE) {
            builder.dashboard(0);
          }
          servers.put(
              v, builder.name("bench-dashboard-" + v.name().toLowerCase(Locale.ROOT)).build());
          times.put(v, new ArrayList<>());
        }
        URI polled = servers.get(Viewer.POLLING).dashboard().orElseThrow();
        poll(polled); // the first look turns the recording on
        poller =
            Thread.ofPlatform()
                .daemon()
                .name("bench-dashboard-viewer")
                .start(() -> poll1s(polled, pollMillis));
        Viewer[] order = Viewer.values();
        for (int r = -2; r < rounds; r++) { // two rounds of warm-up
          for (int k = 0; k < order.length; k++) {
            Viewer v = order[Math.floorMod(k + r, order.length)]; // each goes first in turn
            System.gc(); // each run starts from a clean heap, not the last run's garbage
            long t0 = System.nanoTime();
            runOnce(servers.get(v), jobs);
            double s = (System.nanoTime() - t0) / 1e9;
            if (r >= 0) {
              times.get(v).add(s);
            }
          }
          b.progress.advance((r + 3.0) / (rounds + 2));
        }
      } finally {
        if (poller != null) {
          poller.interrupt();
        }
        for (JobServer s : servers.values()) {
          s.close();
        }
      }
      StringBuilder result = new StringBuilder();
      for (Viewer v : Viewer.values()) {
        double s = Measure.median(times.get(v));
        List<Double> paired = new ArrayList<>(); // each round's ratio: drift between rounds cancels
        for (int i = 0; i < times.get(v).size(); i++) {
          paired.add(times.get(v).get(i) / times.get(Viewer.NONE).get(i));
        }
        double ratio = Measure.median(paired);
        String param = "jobs=" + jobs + ",dashboard=" + v.name().toLowerCase(Locale.ROOT);
        rows.add(new Row("dashboard", engine, param, "wall_s", s, "s"));
        rows.add(new Row("dashboard", engine, param, "ratio_to_none", ratio, "x"));
        result.append(
            String.format(
                Locale.ROOT,
                "%s %.1f ms (%.3fx) ",
                v.name().toLowerCase(Locale.ROOT),
                s * 1e3,
                ratio));
      }
      if (!pollMillis.isEmpty()) { // how long the page waits for its state while jobs run
        List<Double> p = new ArrayList<>(pollMillis);
        double median = Measure.median(p);
        double max = java.util.Collections.max(p);
        String param = "jobs=" + jobs + ",dashboard=polling";
        rows.add(new Row("dashboard", engine, param, "poll_ms_p50", median, "ms"));
        rows.add(new Row("dashboard", engine, param, "poll_ms_max", max, "ms"));
        result.append(String.format(Locale.ROOT, "poll %.1f ms p50, %.1f max", median, max));
      }
      b.progress.end(result.toString().strip());
    }
    return rows;
  }

  private static void runOnce(JobServer server, int jobs) {
    List<Job<Integer>> all = new ArrayList<>(jobs);
    for (int i = 0; i < jobs; i++) {
      all.add(server.submit(x -> x + 1, i));
    }
    for (Job<Integer> j : all) {
      j.join();
    }
  }

  /** What the page does each second: one GET of the state. */
  private static void poll(URI page) {
    try {
      URL state = page.resolve("api/state").toURL();
      try (InputStream in = state.openStream()) {
        in.readAllBytes();
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("the dashboard did not answer: " + e, e);
    }
  }

  private static void poll1s(URI page, List<Double> millis) {
    while (!Thread.currentThread().isInterrupted()) {
      long t0 = System.nanoTime();
      poll(page);
      millis.add((System.nanoTime() - t0) / 1e6);
      try {
        Thread.sleep(1000); // the page's own interval
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
