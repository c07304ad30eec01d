package org.parallel4j;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Run as a separate JVM by {@link WorkerProcessTest}: owns a two-worker job server, prints its
 * workers' pids on one line, then waits to be killed.
 */
public final class OrphanHelperMain {
  private OrphanHelperMain() {}

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    JobServer server = JobServer.processes(2);
    List<Long> pids =
        server
            .map(x -> ProcessHandle.current().pid(), IntStream.range(0, 200).boxed().toList(), 1)
            .stream()
            .distinct()
            .toList();
    System.out.println("pids " + pids);
    System.out.flush();
    new java.util.concurrent.CountDownLatch(1).await(); // until killed
  }
}
