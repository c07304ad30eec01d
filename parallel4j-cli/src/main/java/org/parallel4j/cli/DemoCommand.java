package org.parallel4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.JobServerBuilder;
import org.parallel4j.cluster.Cluster;
import org.parallel4j.examples.Primes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Parallel Python's classic example: the sums of the primes below 100000, 100100, ..., 100700,
 * submitted as eight jobs to a job server with one worker per core, printed in input order, then
 * the server's stats.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs Parallel Python's sum_primes example: 8 jobs on a job server, results in input"
          + " order, then the stats table."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--engine",
      defaultValue = "processes",
      description = "threads, virtual or processes (default: ${DEFAULT-VALUE})")
  String engineName;

  @Option(
      names = "--workers",
      description = "workers for the threads and processes engines (default: one per core)")
  Integer workers;

  @Option(
      names = "--jobs",
      defaultValue = "8",
      description = "how many inputs, from 100000 in steps of 100 (default: ${DEFAULT-VALUE})")
  int jobs;

  @Option(
      names = "--nodes",
      defaultValue = "0",
      description =
          "run the jobs on this many local nodes (Parallel Python's ppservers), started for the"
              + " demo with a generated secret and stopped after it; --workers is then each"
              + " node's")
  int nodes;

  @Option(
      names = "--dashboard",
      paramLabel = "PORT",
      description =
          "serve the job server's live dashboard on 127.0.0.1:PORT (0: a free port) and print"
              + " where")
  Integer dashboard;

  @Option(
      names = "--linger",
      paramLabel = "SECONDS",
      defaultValue = "0",
      description =
          "with --dashboard, keep the server and its dashboard up this long after the jobs"
              + " (default: ${DEFAULT-VALUE})")
  int linger;

  @Option(
      names = "--progress",
      description = "draw a progress bar on standard error while the jobs run")
  boolean progress;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Engine engine;
    try {
      engine = Engine.of("--engine", engineName);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int n = workers != null ? workers : cores;
    if (n <= 0) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--workers: " + n + " (expected: > 0)");
    }
    if (jobs <= 0) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--jobs: " + jobs + " (expected: > 0)");
    }
    if (nodes < 0) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--nodes: " + nodes + " (expected: >= 0)");
    }
    if (dashboard != null && (dashboard < 0 || dashboard > 65535)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--dashboard: " + dashboard + " (expected: a port, 0 to 65535)");
    }
    if (linger < 0) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--linger: " + linger + " (expected: >= 0)");
    }
    if (nodes > 0) {
      int perNode = workers != null ? n : Math.max(1, cores / nodes);
      out.printf("Starting %d local nodes of %d worker processes each%n", nodes, perNode);
      out.flush();
      try (LocalNodes cluster = LocalNodes.start(nodes, perNode, false);
          JobServer server =
              withDashboard(JobServer.builder())
                  .backend(
                      Cluster.builder()
                          .nodes(cluster.addresses().toArray(String[]::new))
                          .security(cluster.security())
                          .build())
                  .build()) {
        out.printf(
            "Starting parallel4j with %d workers on %d nodes (%d cores)%n",
            server.workers(), nodes, cores);
        run(server, out);
      }
      return 0;
    }
    try (JobServer server = withDashboard(engine.builder(n)).build()) {
      out.printf(
          "Starting parallel4j with %s workers on %s (%d cores)%n",
          engine == Engine.VIRTUAL ? "virtual-thread" : Integer.toString(n), engine, cores);
      run(server, out);
    }
    return 0;
  }

  private JobServerBuilder withDashboard(JobServerBuilder b) {
    return dashboard == null ? b : b.dashboard(dashboard);
  }

  private void run(JobServer server, PrintWriter out) {
    server.dashboard().ifPresent(uri -> out.printf("Dashboard: %s%n", uri));
    out.flush();
    long t0 = System.nanoTime();
    List<Long> inputs = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      inputs.add(100_000L + 100L * i);
    }
    List<Long> sums;
    if (progress) { // pp's submit loop cannot show progress; map with a listener can
      PrintWriter err = spec.commandLine().getErr();
      sums = server.map(Primes::sumBelow, inputs, 1, new ProgressBar(err, "sum_primes"));
    } else {
      List<Job<Long>> results = new ArrayList<>();
      for (long input : inputs) {
        results.add(server.submit(Primes::sumBelow, input)); // pp: job_server.submit(...)
      }
      sums = new ArrayList<>();
      for (Job<Long> job : results) {
        sums.add(job.join());
      }
    }
    for (int i = 0; i < jobs; i++) {
      out.printf("Sum of primes below %d is %d%n", inputs.get(i), sums.get(i));
    }
    out.printf("Time elapsed: %.3f s%n", (System.nanoTime() - t0) / 1e9);
    out.print(server.stats()); // pp: job_server.print_stats()
    out.flush();
    if (dashboard != null && linger > 0) {
      out.printf("Dashboard stays up for %d s%n", linger);
      out.flush();
      try {
        Thread.sleep(linger * 1000L); // what the user asked for: time to look at the page
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
