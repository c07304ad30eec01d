package org.parallel4j.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.cli.LocalNodes;
import org.parallel4j.cluster.Cluster;
import org.parallel4j.examples.Primes;

/**
 * The cluster on this machine: a job server whose only workers are on local nodes (JVMs started for
 * the run, reached over TLS on 127.0.0.1). Trivial tasks through 2 nodes of one worker thread each,
 * one submit per task and with {@code map}, and the sequential round trip; then Parallel Python's
 * sum_primes on nodes of one worker process, 2 nodes against 1.
 */
final class ClusterScenario {
  private ClusterScenario() {}

  static List<Row> run(Bench b) throws Exception {
    List<Row> rows = new ArrayList<>();
    try (LocalNodes nodes = LocalNodes.start(2, 1, true);
        JobServer server = server(nodes)) {
      trivial(b, server, rows);
    }
    b.progress.start("cluster: raw JGroups round trip (same stack and TLS, one JVM)");
    double raw = org.parallel4j.cluster.RawRoundTrip.medianMicros(2000, b.quick ? 2000 : 10_000);
    rows.add(new Row("cluster", "jgroups-raw", "mode=sequential", "rtt_us_p50", raw, "us"));
    b.progress.end(String.format(Locale.ROOT, "%.1f us", raw));
    sumPrimes(b, rows);
    failover(b, "kill", rows);
    failover(b, "stop", rows);
    queued(b, rows);
    return rows;
  }

  /**
   * From the moment a node that runs a job is killed ({@code kill -9}) or frozen ({@code kill
   * -STOP}) until the job has run elsewhere, beside the job's own time: the median of a few rounds,
   * each on new nodes of 2 worker threads.
   */
  private static void failover(Bench b, String how, List<Row> rows) throws Exception {
    int rounds = b.quick ? 1 : 3;
    long taskMillis = 500;
    List<Double> seconds = new ArrayList<>();
    b.progress.start("cluster: failover after kill -" + (how.equals("kill") ? "9" : "STOP"));
    for (int r = 0; r < rounds; r++) {
      try (LocalNodes nodes = LocalNodes.start(2, 2, true);
          JobServer server = server(nodes)) {
        server.submit(() -> 1).get(); // both nodes greeted and warm
        Job<Long> job =
            server.submit(
                () -> {
                  Thread.sleep(taskMillis);
                  return ProcessHandle.current().pid();
                });
        long until = System.nanoTime() + 10_000_000_000L;
        while (job.attempts() == 0 && System.nanoTime() < until) {
          Thread.onSpinWait(); // until its node reports it started
        }
        String where = job.ranOn().substring("cluster/".length());
        Process victim = nodes.process(nodes.addresses().indexOf(where));
        long t0 = System.nanoTime();
        if (how.equals("kill")) {
          victim.destroyForcibly();
        } else {
          new ProcessBuilder("kill", "-STOP", Long.toString(victim.pid())).start().waitFor();
        }
        try {
          job.get(120, java.util.concurrent.TimeUnit.SECONDS);
          seconds.add((System.nanoTime() - t0) / 1e9);
        } catch (java.util.concurrent.TimeoutException e) {
          System.err.println(
              "cluster: after kill -" + how + " the job did not complete within 120 s: " + job);
          System.err.println(server.stats());
          seconds.add(Double.POSITIVE_INFINITY);
        }
        if (!how.equals("kill")) {
          new ProcessBuilder("kill", "-CONT", Long.toString(victim.pid())).start().waitFor();
        }
      }
      b.progress.advance((r + 1.0) / rounds);
    }
    double p50 = Measure.median(seconds);
    String param = "nodes=2,task_s=" + taskMillis / 1000.0 + ",after=" + how;
    rows.add(new Row("cluster", "cluster", param, "to_done_s", p50, "s"));
    b.progress.end(String.format(Locale.ROOT, "%.2f s (task %.1f s)", p50, taskMillis / 1000.0));
  }

  /**
   * Bytes of heap per job queued for the cluster: {@code count} trivial jobs submitted to a server
   * whose only backend finds no node (so all of them wait, encoded for shipping), the heap measured
   * before and after.
   */
  private static void queued(Bench b, List<Row> rows) throws Exception {
    int count = b.quick ? 100_000 : 1_000_000;
    b.progress.start("cluster: " + count + " jobs queued with no node");
    try (LocalNodes none = LocalNodes.start(1, 1, true)) {
      Runtime rt = Runtime.getRuntime();
      long before = usedAfterGc(rt);
      JobServer server =
          JobServer.builder()
              .backend(
                  Cluster.builder()
                      .discover() // on 127.0.0.1: no node answers multicast there
                      .security(none.security())
                      .joinTimeout(java.time.Duration.ofMillis(200))
                      .build())
              .build();
      List<Job<Integer>> jobs = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        jobs.add(server.submit(x -> x + 1, i));
      }
      long after = usedAfterGc(rt);
      double perJob = (after - before - 16.0 * count) / count; // less the list's own references
      rows.add(
          new Row("cluster", "cluster", "queued=" + count, "bytes_per_queued_job", perJob, "B"));
      b.progress.end(String.format(Locale.ROOT, "%.0f bytes a job", perJob));
      server.shutdownNow();
      jobs.clear();
    }
  }

  private static long usedAfterGc(Runtime rt) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100); // lets the collector finish; a measurement, not a synchronisation
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  private static JobServer server(LocalNodes nodes) {
    return JobServer.builder()
        .backend(
            Cluster.builder()
                .nodes(nodes.addresses().toArray(String[]::new))
                .security(nodes.security())
                .build())
        .build();
  }

  private static void trivial(Bench b, JobServer server, List<Row> rows) throws Exception {
    int n = b.quick ? 20_000 : 100_000;
    b.progress.start("cluster: 2 nodes mode=submit");
    double submit =
        Measure.medianSeconds(
            b.progress,
            b.quick ? 3 : 7,
            b.quick ? 2 : 3,
            () -> {
              List<Job<Integer>> jobs = new ArrayList<>(n);
              for (int i = 0; i < n; i++) {
                jobs.add(server.submit(x -> x + 1, i));
              }
              for (Job<Integer> job : jobs) {
                job.get();
              }
            });
    rows.add(
        new Row("cluster", "cluster", "nodes=2,mode=submit", "tasks_per_s", n / submit, "1/s"));
    b.progress.end(String.format(Locale.ROOT, "%,.0f tasks/s", n / submit));

    List<Integer> inputs = IntStream.range(0, 10_000).boxed().toList();
    b.progress.start("cluster: 2 nodes mode=map");
    double map =
        Measure.medianSeconds(
            b.progress, b.quick ? 20 : 100, b.quick ? 5 : 20, () -> server.map(x -> x + 1, inputs));
    rows.add(
        new Row(
            "cluster", "cluster", "nodes=2,mode=map", "tasks_per_s", inputs.size() / map, "1/s"));
    b.progress.end(String.format(Locale.ROOT, "%,.0f tasks/s", inputs.size() / map));

    b.progress.start("cluster: 2 nodes mode=sequential");
    int warm = b.quick ? 500 : 3000;
    int count = b.quick ? 1000 : 5000;
    double p50 = Measure.roundTripMicros(b.progress, server, warm, count);
    rows.add(new Row("cluster", "cluster", "nodes=2,mode=sequential", "rtt_us_p50", p50, "us"));
    b.progress.end(String.format(Locale.ROOT, "%.1f us", p50));
  }

  /** pp's sum_primes inputs on 1 node and on 2, each of one worker process: wall time. */
  private static void sumPrimes(Bench b, List<Row> rows) throws Exception {
    int jobs = b.quick ? 16 : 64;
    List<Long> inputs = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      inputs.add(100_000L + 100L * (i % 8));
    }
    double[] wall = new double[3];
    for (int count = 1; count <= 2; count++) {
      b.progress.start("cluster: sum_primes on " + count + " node(s)");
      try (LocalNodes nodes = LocalNodes.start(count, 1, false);
          JobServer server = server(nodes)) {
        wall[count] =
            Measure.medianSeconds(
                b.progress, 1, b.quick ? 3 : 5, () -> server.map(Primes::sumBelow, inputs, 1));
      }
      rows.add(
          new Row(
              "cluster",
              "cluster",
              "nodes=" + count + ",task=sum_primes",
              "wall_s",
              wall[count],
              "s"));
      b.progress.end(String.format(Locale.ROOT, "%.3f s", wall[count]));
    }
    rows.add(
        new Row(
            "cluster",
            "cluster",
            "nodes=2,task=sum_primes",
            "speedup_vs_1_node",
            wall[1] / wall[2],
            "x"));
  }
}
