package org.parallel4j.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Starts nodes as JVM processes of this machine ({@link NodeMain} with this JVM's class path), for
 * {@code parallel4j demo --nodes} and for tests. Credentials go in the environment, never on the
 * command line.
 */
public final class NodeLauncher {
  private NodeLauncher() {}

  /**
   * A node process.
   *
   * @param process the JVM
   * @param port the port it listens on
   * @param args its {@link NodeMain} arguments
   * @param ready completes with its ready line, or exceptionally if it ends first
   */
  public record Launched(
      Process process, int port, List<String> args, CompletableFuture<String> ready) {
    /** {@code 127.0.0.1:port}. */
    public String address() {
      return "127.0.0.1:" + port;
    }
  }

  /** A port free now on 127.0.0.1. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a node; returns at once.
   *
   * @param port its port, also passed as {@code --port}
   * @param args the other {@link NodeMain} arguments
   * @param environment added to the node's environment (its secret, say)
   * @param jvmArgs options for its JVM
   * @param lines told every line the node prints (standard output and error)
   */
  public static Launched launch(
      int port,
      List<String> args,
      Map<String, String> environment,
      List<String> jvmArgs,
      Consumer<String> lines) {
    return launch(List.of(), port, args, environment, jvmArgs, lines);
  }

  /**
   * As {@link #launch(int, List, Map, List, Consumer)}, the command run through {@code prefix}
   * (such as {@code ip netns exec NAME}, which runs it in a network namespace).
   */
  public static Launched launch(
      List<String> prefix,
      int port,
      List<String> args,
      Map<String, String> environment,
      List<String> jvmArgs,
      Consumer<String> lines) {
    List<String> command = new ArrayList<>(prefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.addAll(jvmArgs);
    command.add(NodeMain.class.getName());
    command.add("--port");
    command.add(Integer.toString(port));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(environment);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a node: " + e.getMessage(), e);
    }
    CompletableFuture<String> ready = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name("parallel4j-node-" + port + "-output")
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.accept(line);
                  if (line.startsWith(NodeMain.READY) && line.contains(" ready: ")) {
                    ready.complete(line);
                  }
                }
              } catch (IOException e) {
                // the node is gone
              }
              ready.completeExceptionally(
                  new IllegalStateException("node " + port + " ended before it was ready"));
            });
    return new Launched(p, port, List.copyOf(args), ready);
  }
}
