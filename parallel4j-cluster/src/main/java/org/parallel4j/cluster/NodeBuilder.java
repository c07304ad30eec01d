package org.parallel4j.cluster;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a node is set up. Options are checked as they are set; a value out of range names the option
 * and the value.
 */
public final class NodeBuilder {
  private String cluster = "parallel4j";
  private InetAddress bind = Addresses.loopback();
  private int port = 7800;
  private final List<InetSocketAddress> peers = new ArrayList<>();
  private int workers = Runtime.getRuntime().availableProcessors();
  private boolean threads;
  private int maxTasksPerWorker;
  private final List<String> workerJvmArgs = new ArrayList<>();
  private ClusterSecurity security;
  private boolean discover;
  private String dnsName;
  private String dnsServer;
  private java.time.Duration idleExit;
  private Integer dashboard; // a port on 127.0.0.1, or null for none
  private java.nio.file.Path classCache =
      java.nio.file.Path.of(System.getProperty("user.home"), ".cache", "parallel4j", "classes");

  NodeBuilder() {}

  /**
   * Where the node keeps the code job servers shipped to it (jars named by their SHA-256), kept at
   * most {@value Node#CACHE_DAYS} days after their last use and {@value Node#CACHE_MIB} MiB in all;
   * default {@code ~/.cache/parallel4j/classes}.
   */
  public NodeBuilder classCache(java.nio.file.Path dir) {
    this.classCache = java.util.Objects.requireNonNull(dir, "classCache");
    return this;
  }

  /** The cluster's name: members of other clusters are not seen. Default {@code parallel4j}. */
  public NodeBuilder cluster(String name) {
    this.cluster = Membership.clusterName(name);
    return this;
  }

  /** The address to listen on; default 127.0.0.1, which no other machine can reach. */
  public NodeBuilder bind(String address) {
    this.bind = Addresses.host("bind", address);
    return this;
  }

  /** The port to listen on, 1 to 65535, or 0 for any; default 7800. */
  public NodeBuilder port(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0 to 65535)");
    }
    this.port = port;
    return this;
  }

  /** Other members to look for at start, {@code host:port} each (a static list). */
  public NodeBuilder peers(List<String> peers) {
    for (String p : peers) {
      this.peers.add(Addresses.parse("peers", p));
    }
    return this;
  }

  /**
   * Finds the other members by multicast on the local network (Parallel Python's {@code -a}),
   * instead of the static list of {@link #peers}. Bind to an address of that network.
   */
  public NodeBuilder discover() {
    this.discover = true;
    return this;
  }

  /**
   * Finds the other members by a DNS name (a Kubernetes headless service), instead of {@link
   * #peers} or {@link #discover}: a name that starts with {@code _} by SRV records, which carry
   * ports; any other by A records, every node then listening on the same {@link #port}. Asked again
   * at every merge round, so members listed later join.
   */
  public NodeBuilder dns(String name) {
    this.dnsName = new Membership.Dns(name, null).name();
    return this;
  }

  /** The DNS server {@link #dns} asks, {@code host:port}; default: the system's resolver. */
  public NodeBuilder dnsServer(String address) {
    this.dnsServer = Addresses.format(Addresses.parse("dnsServer", address));
    return this;
  }

  /**
   * Stops the node once no job server has been connected to it for {@code idle} (pp's {@code -t});
   * default: never.
   */
  public NodeBuilder idleExit(java.time.Duration idle) {
    Objects.requireNonNull(idle, "idleExit");
    if (idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException("idleExit: " + idle + " (expected: > 0)");
    }
    this.idleExit = idle;
    return this;
  }

  /**
   * Serves the node's dashboard on {@code 127.0.0.1:port} ({@code 0}: a free port; {@link
   * Node#dashboard()} says where): the page of its job server, the workers that run the jobs sent
   * to it. Jobs whose code a job server shipped to the node run on an engine of that server's
   * session, which this page does not show yet.
   */
  public NodeBuilder dashboard(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("dashboard: port " + port + " (expected: 0 to 65535)");
    }
    this.dashboard = port;
    return this;
  }

  /** How many jobs the node runs at once; default: the machine's cores. */
  public NodeBuilder workers(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers: " + workers + " (expected: > 0)");
    }
    this.workers = workers;
    return this;
  }

  /**
   * Runs jobs on threads of the node's JVM instead of worker processes: faster to start, but a task
   * that crashes its JVM takes the node with it.
   */
  public NodeBuilder threads() {
    this.threads = true;
    return this;
  }

  /** Replaces a worker process after this many tasks (pp's {@code -r}); 0 for never. */
  public NodeBuilder maxTasksPerWorker(int tasks) {
    if (tasks < 0) {
      throw new IllegalArgumentException("maxTasksPerWorker: " + tasks + " (expected: >= 0)");
    }
    this.maxTasksPerWorker = tasks;
    return this;
  }

  /** JVM options for the node's worker processes. */
  public NodeBuilder workerJvmArgs(String... args) {
    workerJvmArgs.addAll(List.of(args));
    return this;
  }

  String clusterName() {
    return cluster;
  }

  /** How members authenticate; required: there is no default. */
  public NodeBuilder security(ClusterSecurity security) {
    this.security = Objects.requireNonNull(security, "security");
    return this;
  }

  /**
   * Joins the cluster and returns once the node takes work.
   *
   * @throws IllegalStateException when no security was chosen, or the node cannot start (its port
   *     is taken, say)
   */
  public Node start() {
    if (security == null) {
      throw new IllegalStateException(
          "a node needs security: a shared secret, certificates, or insecure() on purpose");
    }
    if ((discover ? 1 : 0) + (dnsName != null ? 1 : 0) + (peers.isEmpty() ? 0 : 1) > 1) {
      throw new IllegalStateException("choose one of peers(...), discover() and dns(name)");
    }
    Node.Config c =
        new Node.Config(
            cluster,
            bind,
            port,
            List.copyOf(peers),
            workers,
            threads,
            maxTasksPerWorker,
            List.copyOf(workerJvmArgs),
            security,
            classCache,
            discover,
            dnsName == null ? null : new Membership.Dns(dnsName, dnsServer),
            idleExit,
            dashboard);
    try {
      return Node.start(c);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(
          "node " + Addresses.format(bind, port) + " cannot start: " + e.getMessage(), e);
    }
  }
}
