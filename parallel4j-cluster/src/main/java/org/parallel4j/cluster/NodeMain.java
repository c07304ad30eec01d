package org.parallel4j.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a node in this JVM until it is stopped: {@code java -cp ... org.parallel4j.cluster.NodeMain
 * --port 7800 --secret-file FILE}. The {@code parallel4j node} command takes the same options and
 * documents them; this entry point has no dependency beyond the cluster module, for embedding and
 * for tests that start nodes as processes.
 *
 * <p>Prints one line when the node takes work ({@code parallel4j node 127.0.0.1:7800 ready:
 * workers=4, cluster=parallel4j}); on SIGTERM it drains ({@link Node#drain}) and exits. Exit code 2
 * for bad options, 1 when the node cannot start.
 */
public final class NodeMain {
  private NodeMain() {}

  /** The ready line's start, for scripts and tests that wait for it. */
  public static final String READY = "parallel4j node ";

  /** Starts a node with {@code args} and waits until it stops. */
  public static void main(String[] args) throws Exception {
    NodeBuilder b;
    try {
      b = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("parallel4j node: " + e.getMessage());
      System.exit(2);
      return;
    }
    Node node;
    try {
      node = b.start();
    } catch (RuntimeException e) {
      System.err.println("parallel4j node: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(drainOnExit(node));
    System.out.println(ready(node, b));
    node.dashboard()
        .ifPresent(uri -> System.out.println(READY + node.address() + " dashboard: " + uri));
    System.out.flush();
    node.awaitClosed();
    if (node.idledOut()) { // else SIGTERM closed it, and the hook ends the JVM as it drains
      System.out.println(READY.strip() + " " + node.address() + " stopped: idle");
      System.out.flush();
      System.exit(0);
    }
  }

  /** How long SIGTERM lets running jobs finish before they are cancelled. */
  public static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

  /**
   * A shutdown hook that drains {@code node} (SIGTERM: finish the running jobs, hand back the
   * waiting ones, leave), at most {@link #DRAIN_TIMEOUT}.
   */
  public static Thread drainOnExit(Node node) {
    return new Thread(
        () -> {
          if (node.isClosed()) {
            return; // it stopped by itself (idle exit): nothing to drain
          }
          // on standard output, not the log: the JDK's logging may be closing beside this hook
          System.out.println(
              READY.strip()
                  + " "
                  + node.address()
                  + " stopping: draining (running jobs finish, waiting ones go back)");
          System.out.flush();
          try {
            boolean clean = node.drain(DRAIN_TIMEOUT);
            System.out.println(
                READY.strip()
                    + " "
                    + node.address()
                    + (clean ? " stopped" : " stopped; jobs still running were cancelled"));
            System.out.flush();
          } catch (InterruptedException e) {
            node.close();
          }
        },
        "parallel4j-node-shutdown");
  }

  static String ready(Node node, NodeBuilder b) {
    return READY
        + node.address()
        + " ready: workers="
        + node.workers()
        + ", cluster="
        + b.clusterName();
  }

  /**
   * Options: {@code --bind ADDR --port N --workers N --threads --cluster NAME --peers H:P,... |
   * --discover | --dns NAME [--dns-server H:P] --idle-exit SECONDS --dashboard PORT --secret-file
   * FILE | --secret-env VAR | --certificates MEMBER TRUST PASSWORD-FILE | --insecure
   * --max-tasks-per-worker N --worker-jvm-arg ARG --pid-file FILE}.
   *
   * @throws IllegalArgumentException naming the option that is wrong
   */
  static NodeBuilder parse(String[] args) {
    NodeBuilder b = Node.builder();
    List<String> a = new ArrayList<>(Arrays.asList(args));
    ClusterSecurity security = null;
    int choices = 0;
    while (!a.isEmpty()) {
      String opt = a.remove(0);
      switch (opt) {
        case "--bind" -> b.bind(value(a, opt));
        case "--port" -> b.port(number(a, opt));
        case "--workers" -> b.workers(number(a, opt));
        case "--threads" -> b.threads();
        case "--discover" -> b.discover();
        case "--dns" -> b.dns(value(a, opt));
        case "--dns-server" -> b.dnsServer(value(a, opt));
        case "--idle-exit" -> b.idleExit(Duration.ofSeconds(number(a, opt)));
        case "--dashboard" -> b.dashboard(number(a, opt));
        case "--cluster" -> b.cluster(value(a, opt));
        case "--peers" -> b.peers(List.of(value(a, opt).split(",")));
        case "--max-tasks-per-worker" -> b.maxTasksPerWorker(number(a, opt));
        case "--worker-jvm-arg" -> b.workerJvmArgs(value(a, opt));
        case "--secret-file" -> {
          security = ClusterSecurity.secretFile(Path.of(value(a, opt)));
          choices++;
        }
        case "--secret-env" -> {
          security = ClusterSecurity.secretFromEnvironment(value(a, opt));
          choices++;
        }
        case "--certificates" -> {
          Path member = Path.of(value(a, opt));
          Path trust = Path.of(value(a, opt));
          Path password = Path.of(value(a, opt));
          security = ClusterSecurity.certificates(member, trust, password);
          choices++;
        }
        case "--insecure" -> {
          security = ClusterSecurity.insecure();
          choices++;
        }
        case "--pid-file" -> writePid(value(a, opt));
        case "--class-cache" -> b.classCache(Path.of(value(a, opt)));
        default -> throw new IllegalArgumentException("unknown option " + opt);
      }
    }
    if (choices != 1) {
      throw new IllegalArgumentException(
          choices == 0
              ? "choose how members authenticate: --secret-file FILE, --secret-env VARIABLE,"
                  + " --certificates MEMBER.p12 TRUST.p12 PASSWORD-FILE, or --insecure on a"
                  + " network you trust entirely"
              : "choose one of --secret-file, --secret-env, --certificates and --insecure");
    }
    return b.security(security);
  }

  private static String value(List<String> a, String opt) {
    if (a.isEmpty() || a.get(0).startsWith("--")) {
      throw new IllegalArgumentException(opt + " needs a value");
    }
    return a.remove(0);
  }

  private static int number(List<String> a, String opt) {
    String v = value(a, opt);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(opt + ": " + v + " is not a number", e);
    }
  }

  private static void writePid(String file) {
    try {
      Files.writeString(Path.of(file), ProcessHandle.current().pid() + "\n");
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("--pid-file: cannot write " + file + ": " + e, e);
    }
  }
}
