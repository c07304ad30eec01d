package org.parallel4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.parallel4j.cluster.ClusterSecurity;
import org.parallel4j.cluster.NodeMain;

/**
 * Nodes started on this machine for {@code demo --nodes}: each a JVM running {@link NodeMain} on
 * 127.0.0.1, sharing a secret made for the run and handed over in the environment (never on a
 * command line). Closing stops them with SIGTERM, then SIGKILL for one that does not exit.
 */
public final class LocalNodes implements AutoCloseable {
  private static final String SECRET_VARIABLE = "PARALLEL4J_DEMO_SECRET";
  private final String secret;
  private final List<Process> processes = new ArrayList<>();
  private final List<String> addresses = new ArrayList<>();

  private LocalNodes() {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    secret = Base64.getEncoder().encodeToString(random);
  }

  /** Starts {@code count} nodes of {@code workers} worker processes each, and waits until ready. */
  static LocalNodes start(int count, int workers) {
    return start(count, workers, false);
  }

  /**
   * Starts {@code count} nodes of {@code workers} workers each, threads of the node's JVM with
   * {@code threads}, and waits until they are ready.
   */
  public static LocalNodes start(int count, int workers, boolean threads) {
    LocalNodes nodes = new LocalNodes();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ports.add(freePort());
      }
      List<String> peers = ports.stream().map(p -> "127.0.0.1:" + p).toList();
      List<CompletableFuture<Void>> ready = new ArrayList<>();
      for (int port : ports) {
        ready.add(nodes.launch(port, workers, threads, String.join(",", peers)));
      }
      for (CompletableFuture<Void> r : ready) {
        r.get(120, TimeUnit.SECONDS);
      }
      return nodes;
    } catch (Exception e) {
      nodes.close();
      throw new IllegalStateException("the demo's nodes did not start: " + e.getMessage(), e);
    }
  }

  private CompletableFuture<Void> launch(int port, int workers, boolean threads, String peers)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                NodeMain.class.getName(),
                "--port",
                Integer.toString(port),
                "--workers",
                Integer.toString(workers),
                "--peers",
                peers,
                "--secret-env",
                SECRET_VARIABLE));
    if (threads) {
      command.add("--threads");
    }
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put(SECRET_VARIABLE, secret);
    Process p = pb.start();
    processes.add(p);
    addresses.add("127.0.0.1:" + port);
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name("parallel4j-demo-node-" + port)
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  if (line.startsWith(NodeMain.READY)) {
                    System.out.println(line);
                    ready.complete(null);
                  } else if (line.contains("WARNING") || line.contains("SEVERE")) {
                    System.err.println("[node " + port + "] " + line);
                  }
                }
              } catch (IOException e) {
                // ended
              }
              ready.completeExceptionally(
                  new IllegalStateException("node " + port + " exited with " + exit(p)));
            });
    return ready;
  }

  private static String exit(Process p) {
    try {
      return Integer.toString(p.waitFor());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "?";
    }
  }

  public List<String> addresses() {
    return List.copyOf(addresses);
  }

  public ClusterSecurity security() {
    return ClusterSecurity.secret(secret.toCharArray());
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroy(); // SIGTERM: the node leaves the cluster
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }
}
