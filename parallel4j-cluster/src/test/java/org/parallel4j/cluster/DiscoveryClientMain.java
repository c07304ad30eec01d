package org.parallel4j.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.parallel4j.Job;
import org.parallel4j.JobServer;

/**
 * A job server in a network namespace of its own, for {@link NamespaceClusterTest}: it finds nodes
 * by multicast, waits for {@code nodes} of them, runs {@code jobs} jobs that each sleep {@code
 * sleepMillis} and answer their node's pid, and prints where they ran. Prints {@code submitted}
 * once the jobs are in, so that a test can cut a node off then. Arguments: bind address, nodes,
 * jobs, sleepMillis. Exit code 0 when every job completed once.
 */
public final class DiscoveryClientMain {
  private DiscoveryClientMain() {}

  public static void main(String[] args) throws Exception {
    String bind = args[0];
    int nodes = Integer.parseInt(args[1]);
    int count = Integer.parseInt(args[2]);
    long sleep = Long.parseLong(args[3]);
    try (JobServer server =
        JobServer.builder()
            .backend(
                Cluster.builder()
                    .discover()
                    .bind(bind)
                    .security(NodeProcesses.security())
                    .joinTimeout(Duration.ofSeconds(30))
                    .build())
            .build()) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (server.workers() < nodes && System.nanoTime() < until) {
        Thread.sleep(50); // polling a count for a test driver; no job depends on it
      }
      System.out.println("workers=" + server.workers());
      AtomicInteger completions = new AtomicInteger();
      long[] start = {System.nanoTime()};
      List<Long> ends = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Job<Long>> jobs = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Job<Long> job =
            server.submit(
                () -> {
                  Thread.sleep(sleep);
                  return ProcessHandle.current().pid();
                });
        job.whenComplete(
            (r, e) -> {
              completions.incrementAndGet();
              ends.add((System.nanoTime() - start[0]) / 1_000_000);
            });
        jobs.add(job);
      }
      System.out.println("submitted");
      System.out.flush();
      long t0 = System.nanoTime();
      TreeSet<String> ranOn = new TreeSet<>();
      int rerun = 0;
      for (Job<Long> j : jobs) {
        j.get(90, TimeUnit.SECONDS);
        ranOn.add(j.ranOn());
        rerun += j.attempts() > 1 ? 1 : 0;
      }
      System.out.printf(
          "done=%d completions=%d rerun=%d seconds=%.1f ranOn=%s%n",
          jobs.size(), completions.get(), rerun, (System.nanoTime() - t0) / 1e9, ranOn);
      System.out.println("ends(ms)=" + ends);
      System.out.flush();
    }
    System.exit(0);
  }
}
