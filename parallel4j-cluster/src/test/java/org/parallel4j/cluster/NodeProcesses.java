package org.parallel4j.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Nodes started as real JVM processes for tests, killed for real (SIGKILL, SIGSTOP), and stopped at
 * the end. Each node runs {@link NodeMain} on 127.0.0.1 with this JVM's class path; its output goes
 * to this JVM's, prefixed with its port.
 */
public final class NodeProcesses implements AutoCloseable {
  /** The test cluster's secret, handed to nodes in an environment variable. */
  public static final String SECRET = "parallel4j-test-secret-0123456789";

  public static final String SECRET_VARIABLE = "PARALLEL4J_TEST_SECRET";

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final List<String> jvmArgs;
  private final List<Started> started = new CopyOnWriteArrayList<>();

  /** One node process, and what it printed. */
  public record Started(Process process, int port, List<String> args, List<String> output) {
    public long pid() {
      return process.pid();
    }

    public String address() {
      return "127.0.0.1:" + port;
    }
  }

  private final java.nio.file.Path classCache;

  /**
   * @param jvmArgs options for every node's JVM (such as the test gates' port)
   */
  public NodeProcesses(String... jvmArgs) {
    this.jvmArgs = List.of(jvmArgs);
    try {
      this.classCache = java.nio.file.Files.createTempDirectory("parallel4j-test-classes");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The class cache every node of this set uses, removed at close. */
  public java.nio.file.Path classCache() {
    return classCache;
  }

  /** The security every test member uses. */
  public static ClusterSecurity security() {
    return ClusterSecurity.secret(SECRET.toCharArray());
  }

  /** A port free now on 127.0.0.1. */
  public static int freePort() {
    return NodeLauncher.freePort();
  }

  /** The arguments, after {@code --port}, of a lone node of {@code workers} threads. */
  public static List<String> threadNode(int workers) {
    return List.of(
        "--workers", Integer.toString(workers), "--threads", "--secret-env", SECRET_VARIABLE);
  }

  /** Starts {@code count} nodes of {@code workers} threads each, that know each other. */
  public List<Started> startThreadNodes(int count, int workers) {
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ports.add(freePort());
    }
    String peers = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
    List<CompletableFuture<Started>> starting = new ArrayList<>();
    for (int port : ports) {
      List<String> args = new ArrayList<>(threadNode(workers));
      args.addAll(List.of("--peers", peers));
      starting.add(CompletableFuture.supplyAsync(() -> start(port, args, SECRET)));
    }
    return starting.stream().map(CompletableFuture::join).toList();
  }

  /** Starts a node on {@code port} with {@code args}, its secret in the environment; waits. */
  public Started start(int port, List<String> args, String secret) {
    return start(port, args, secret, List.of());
  }

  /** As {@link #start(int, List, String)}, with JVM options for this node alone. */
  public Started start(int port, List<String> args, String secret, List<String> nodeJvmArgs) {
    List<String> jvm = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    jvm.addAll(jvmArgs);
    if (System.getProperty("java.util.logging.config.file") != null) {
      jvm.add(
          "-Djava.util.logging.config.file=" + System.getProperty("java.util.logging.config.file"));
    }
    jvm.addAll(nodeJvmArgs);
    List<String> output = new CopyOnWriteArrayList<>();
    long[] pid = {-1};
    List<String> all = new ArrayList<>(args);
    all.addAll(List.of("--class-cache", classCache.toString()));
    NodeLauncher.Launched l =
        NodeLauncher.launch(
            port,
            all,
            secret == null ? Map.of() : Map.of(SECRET_VARIABLE, secret),
            jvm,
            line -> {
              System.out.println("[node " + port + " pid " + pid[0] + "] " + line);
              output.add(line);
            });
    pid[0] = l.process().pid();
    Started s = new Started(l.process(), port, List.copyOf(args), output);
    started.add(s);
    try {
      l.ready().get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      l.process().destroyForcibly();
      throw new IllegalStateException("node on port " + port + " did not start: " + e, e);
    }
    return s;
  }

  /** Kills node {@code pid} with SIGKILL and waits until it has gone. */
  public Started kill(long pid) throws InterruptedException {
    Started s = byPid(pid);
    s.process().destroyForcibly();
    s.process().waitFor(30, TimeUnit.SECONDS);
    return s;
  }

  /** Starts again, with the same arguments and port, a node that was killed. */
  public Started restart(Started dead) {
    started.remove(dead);
    return start(dead.port(), dead.args(), SECRET);
  }

  public void signal(String signal, long pid) throws IOException, InterruptedException {
    int code = new ProcessBuilder("kill", signal, Long.toString(pid)).inheritIO().start().waitFor();
    if (code != 0) {
      throw new IllegalStateException("kill " + signal + " " + pid + " exited with " + code);
    }
  }

  public Started byPid(long pid) {
    for (Started s : started) {
      if (s.pid() == pid) {
        return s;
      }
    }
    throw new IllegalArgumentException("no node process " + pid);
  }

  public List<Started> started() {
    return List.copyOf(started);
  }

  /** Kills every node this started that still runs (thawing frozen ones first). */
  @Override
  public void close() {
    for (Started s : started) {
      if (s.process().isAlive()) {
        try {
          signal("-CONT", s.pid());
        } catch (Exception e) {
          // gone meanwhile
        }
        s.process().destroyForcibly();
      }
    }
    for (Started s : started) {
      try {
        s.process().waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    started.clear();
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(classCache)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // left in the temporary directory
    }
  }
}
