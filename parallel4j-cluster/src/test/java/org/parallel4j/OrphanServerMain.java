package org.parallel4j;

import org.parallel4j.cluster.Cluster;
import org.parallel4j.cluster.NodeProcesses;

/**
 * A job server in a JVM of its own, for {@link ClusterLifecycleTest}: it submits one job that
 * reports where it runs ({@link Gates#at}, tag 1) and then sleeps for an hour, and waits to be
 * killed. Argument: the node's address.
 */
public final class OrphanServerMain {
  private OrphanServerMain() {}

  public static void main(String[] args) throws Exception {
    JobServer server =
        JobServer.builder()
            .backend(Cluster.builder().nodes(args[0]).security(NodeProcesses.security()).build())
            .build();
    server.submit(
        () -> {
          Gates.at(1, ProcessHandle.current().pid());
          Thread.sleep(3_600_000);
          return "never";
        });
    System.out.println("submitted");
    System.out.flush();
    Thread.sleep(3_600_000); // until killed
  }
}
