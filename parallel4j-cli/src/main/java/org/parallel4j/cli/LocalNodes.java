package org.parallel4j.cli;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.parallel4j.cluster.ClusterSecurity;
import org.parallel4j.cluster.NodeLauncher;
import org.parallel4j.cluster.NodeMain;

/**
 * Nodes started on this machine for {@code demo --nodes} and {@code bench cluster}: JVMs of {@link
 * NodeMain} on 127.0.0.1 ({@link NodeLauncher}), sharing a secret made for the run and handed over
 * in the environment. Closing stops them with SIGTERM, then SIGKILL for one that does not exit.
 */
public final class LocalNodes implements AutoCloseable {
  private static final String SECRET_VARIABLE = "PARALLEL4J_DEMO_SECRET";
  private final String secret;
  private final List<NodeLauncher.Launched> launched = new ArrayList<>();

  private LocalNodes() {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    secret = Base64.getEncoder().encodeToString(random);
  }

  /**
   * Starts {@code count} nodes of {@code workers} workers each (threads of the node's JVM with
   * {@code threads}, else worker processes), and waits until they are ready.
   *
   * @throws IllegalStateException when one does not start
   */
  public static LocalNodes start(int count, int workers, boolean threads) {
    LocalNodes nodes = new LocalNodes();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ports.add(NodeLauncher.freePort());
      }
      String peers = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
      for (int port : ports) {
        List<String> args =
            new ArrayList<>(
                List.of(
                    "--workers",
                    Integer.toString(workers),
                    "--peers",
                    peers,
                    "--secret-env",
                    SECRET_VARIABLE));
        if (threads) {
          args.add("--threads");
        }
        nodes.launched.add(
            NodeLauncher.launch(
                port,
                args,
                Map.of(SECRET_VARIABLE, nodes.secret),
                List.of(),
                line -> {
                  if (line.startsWith(NodeMain.READY)) {
                    System.out.println(line);
                  } else if (line.contains("WARNING") || line.contains("SEVERE")) {
                    System.err.println("[node " + port + "] " + line);
                  }
                }));
      }
      for (NodeLauncher.Launched l : nodes.launched) {
        l.ready().get(120, TimeUnit.SECONDS);
      }
      return nodes;
    } catch (Exception e) {
      nodes.close();
      throw new IllegalStateException("the local nodes did not start: " + e.getMessage(), e);
    }
  }

  /** The JVM of node {@code i}, for benchmarks that kill or freeze it. */
  public Process process(int i) {
    return launched.get(i).process();
  }

  public List<String> addresses() {
    return launched.stream().map(NodeLauncher.Launched::address).toList();
  }

  /** The secret the nodes share, for a test that hands it to a command in a file. */
  String secret() {
    return secret;
  }

  public ClusterSecurity security() {
    return ClusterSecurity.secret(secret.toCharArray());
  }

  @Override
  public void close() {
    for (NodeLauncher.Launched l : launched) {
      l.process().destroy(); // SIGTERM: the node leaves the cluster
    }
    for (NodeLauncher.Launched l : launched) {
      try {
        if (!l.process().waitFor(20, TimeUnit.SECONDS)) {
          l.process().destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        l.process().destroyForcibly();
      }
    }
  }
}
