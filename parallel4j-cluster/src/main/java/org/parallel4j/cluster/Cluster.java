package org.parallel4j.cluster;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.parallel4j.spi.Backend;

/**
 * The way from a job server to the nodes of a cluster (Parallel Python's {@code ppservers}): a
 * backend whose workers are the nodes' workers.
 *
 * <pre>{@code
 * JobServer server = JobServer.builder()
 *     .backend(Cluster.builder()
 *         .nodes("10.0.0.2:7800", "10.0.0.3:7800")
 *         .security(ClusterSecurity.secretFile(Path.of("/etc/parallel4j/secret")))
 *         .build())
 *     .build();
 * }</pre>
 *
 * Add {@code .processes(n)} to the job server's builder to run jobs on local worker processes as
 * well, from the same queue (pp's {@code ncpus}); without it only nodes run them (pp's {@code
 * ncpus=0}).
 *
 * <p>What the backend does: it joins the cluster as a member, greets each node it sees and keeps
 * each one busy up to the node's workers plus a pipeline sized by the jobs' measured run times, so
 * that a faster or bigger node takes more and a node that joins gets work at once. Jobs travel in
 * batches. When a node leaves or is suspected (a closed connection at once; a node that hangs
 * within about {@value Membership#HEARTBEAT_TIMEOUT_MS} ms of heartbeats and {@value
 * Membership#VERIFY_MS} ms more), the job server runs its unfinished jobs again elsewhere, counting
 * an attempt for each one that had started, and drops anything the node still reports for them.
 */
public final class Cluster {
  private Cluster() {}

  /** A builder with the defaults: cluster {@code parallel4j}, bound to 127.0.0.1. */
  public static Builder builder() {
    return new Builder();
  }

  /** What the backend is built with. */
  record Config(
      String cluster,
      InetAddress bind,
      List<InetSocketAddress> nodes,
      ClusterSecurity security,
      Duration joinTimeout,
      boolean discover,
      Membership.Dns dns,
      int port,
      Duration failWithoutNodesAfter) {
    /** Whether nodes are found as they come (multicast, DNS), not from a list fixed at start. */
    boolean dynamic() {
      return discover || dns != null;
    }
  }

  /**
   * How a job server reaches its nodes. Options are checked as they are set; a value out of range
   * names the option and the value.
   */
  public static final class Builder {
    private String cluster = "parallel4j";
    private InetAddress bind = Addresses.loopback();
    private final List<InetSocketAddress> nodes = new ArrayList<>();
    private ClusterSecurity security;
    private Duration joinTimeout = Duration.ofSeconds(10);
    private boolean discover;
    private String dnsName;
    private String dnsServer;
    private int port;
    private Duration failWithoutNodesAfter;

    private Builder() {}

    /**
     * Nodes to reach, {@code host:port} each: the job server fails to start if one of them does not
     * answer within the join timeout, naming it. Nodes that join later are used too.
     */
    public Builder nodes(String... addresses) {
      for (String a : addresses) {
        nodes.add(Addresses.parse("nodes", a));
      }
      return this;
    }

    /**
     * Finds nodes by multicast on the local network (Parallel Python's {@code ppservers=("*",)}),
     * instead of the static list of {@link #nodes}: every node started with {@code --discover} in
     * the cluster joins, and nodes that start later join when they start. {@link #bind} must be an
     * address of that network. The server waits at start up to the join timeout for a first node,
     * and runs jobs on whichever nodes are there.
     */
    public Builder discover() {
      this.discover = true;
      return this;
    }

    /**
     * Finds nodes by a DNS name, as in Kubernetes, where a headless service lists its pods (nodes
     * started with {@code --dns} and the same name). A name that starts with {@code _} (such as
     * {@code _parallel4j._tcp.nodes.default.svc.cluster.local}) is looked up as SRV records, which
     * carry each node's port; any other name as A records, and then every node listens on the
     * {@link #port} this server listens on, which must be set. The name is looked up again at each
     * merge round (every few seconds), so nodes added to it later join. As with {@link #discover},
     * the server waits at start up to the join timeout for a first node.
     */
    public Builder dns(String name) {
      this.dnsName = new Membership.Dns(name, null).name();
      return this;
    }

    /** The DNS server {@link #dns} asks, {@code host:port}; default: the system's resolver. */
    public Builder dnsServer(String address) {
      this.dnsServer = Addresses.format(Addresses.parse("dnsServer", address));
      return this;
    }

    /**
     * The port the job server listens on for its nodes; default 0, a free one. Needed with {@link
     * #dns} by A records, where it is the nodes' port too.
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0 to 65535)");
      }
      this.port = port;
      return this;
    }

    /**
     * Fails the queued jobs this backend would take once no node has been reachable for {@code
     * bound}, with an error that says so, instead of letting them wait (the default: jobs wait for
     * a node, and {@code stats()} and the log say why). For a server whose only workers are nodes;
     * beside local workers, the jobs they could run would fail too.
     */
    public Builder failWithoutNodesAfter(Duration bound) {
      Objects.requireNonNull(bound, "failWithoutNodesAfter");
      if (bound.isNegative() || bound.isZero()) {
        throw new IllegalArgumentException("failWithoutNodesAfter: " + bound + " (expected: > 0)");
      }
      this.failWithoutNodesAfter = bound;
      return this;
    }

    /** The cluster's name; default {@code parallel4j}. */
    public Builder cluster(String name) {
      this.cluster = Membership.clusterName(name);
      return this;
    }

    /**
     * The address the job server listens on for its nodes (on a port of the system's choice);
     * default 127.0.0.1. Nodes on other machines need an address they can reach.
     */
    public Builder bind(String address) {
      this.bind = Addresses.host("bind", address);
      return this;
    }

    /** How members authenticate: required, there is no default. */
    public Builder security(ClusterSecurity security) {
      this.security = Objects.requireNonNull(security, "security");
      return this;
    }

    /** How long {@code build()}'s server waits at start for the nodes given; default 10 s. */
    public Builder joinTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "joinTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("joinTimeout: " + timeout + " (expected: > 0)");
      }
      this.joinTimeout = timeout;
      return this;
    }

    /**
     * Joins the cluster as a job server that runs nothing, collects what each node says of itself
     * when it greets (workers, jobs running and waiting, other job servers, uptime), and leaves:
     * {@code parallel4j status}. With {@link #nodes}, each must answer within the join timeout;
     * with {@link #discover} or {@link #dns}, the nodes that answered within {@code wait} of the
     * first are listed.
     *
     * @throws IllegalStateException as {@link #build()}, or when a node given does not answer
     */
    public List<NodeStatus> status(Duration wait) {
      Objects.requireNonNull(wait, "wait");
      ClusterBackend backend = (ClusterBackend) build();
      org.parallel4j.JobServer server =
          org.parallel4j.JobServer.builder().name("status").backend(backend).build();
      try {
        if (backend.dynamic()) {
          try {
            Thread.sleep(wait); // discovered nodes greet as they are found
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // list those found so far
          }
        }
        return backend.nodeStatuses();
      } finally {
        server.close();
      }
    }

    /**
     * The backend, to hand to {@code JobServer.builder().backend(...)}; it joins the cluster when
     * the server starts it.
     *
     * @throws IllegalStateException when no security was chosen, or neither nodes nor discovery (or
     *     both)
     */
    public Backend build() {
      if (security == null) {
        throw new IllegalStateException(
            "the cluster needs security: a shared secret, certificates, or insecure() on purpose");
      }
      int ways = (discover ? 1 : 0) + (dnsName != null ? 1 : 0) + (nodes.isEmpty() ? 0 : 1);
      if (ways != 1) {
        throw new IllegalStateException(
            ways == 0
                ? "the cluster needs nodes(\"host:port\", ...), discover() or dns(name)"
                : "choose one of nodes(...), discover() and dns(name)");
      }
      Membership.Dns dns = dnsName == null ? null : new Membership.Dns(dnsName, dnsServer);
      if (dns != null && !dns.srv() && port == 0) {
        throw new IllegalStateException(
            "dns(\""
                + dnsName
                + "\") looks up A records, which carry no port: set port(...) to the nodes' port"
                + " (or use an SRV name, starting with _)");
      }
      return new ClusterBackend(
          new Config(
              cluster,
              bind,
              List.copyOf(nodes),
              security,
              joinTimeout,
              discover,
              dns,
              port,
              failWithoutNodesAfter));
    }
  }
}
