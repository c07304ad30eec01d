package org.parallel4j.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.parallel4j.cluster.Cluster;
import org.parallel4j.cluster.NodeStatus;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The cluster's nodes, their capacity and their load, as they tell a job server that greets. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the cluster's nodes with their workers, jobs running and waiting, other job servers"
          + " connected and uptime: joins as a job server that runs nothing, and leaves."
    })
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--peers",
      split = ",",
      paramLabel = "HOST:PORT",
      description = "the nodes to ask; each must answer")
  List<String> peers = List.of();

  @Option(names = "--discover", description = "find the nodes by multicast on the local network")
  boolean discover;

  @Option(names = "--dns", paramLabel = "NAME", description = "find the nodes by a DNS name")
  String dns;

  @Option(
      names = "--dns-server",
      paramLabel = "HOST:PORT",
      description = "the DNS server --dns asks (default: the system's resolver)")
  String dnsServer;

  @Option(
      names = "--port",
      defaultValue = "0",
      description = "port to listen on (default: a free one; with --dns by A records: the nodes')")
  int port;

  @Option(
      names = "--bind",
      defaultValue = "127.0.0.1",
      description = "address to listen on, one the nodes can reach (default: ${DEFAULT-VALUE})")
  String bind;

  @Option(
      names = "--cluster",
      defaultValue = "parallel4j",
      description = "the cluster's name (default: ${DEFAULT-VALUE})")
  String cluster;

  @Option(
      names = "--wait",
      defaultValue = "2",
      paramLabel = "SECONDS",
      description =
          "with --discover or --dns, how long to collect nodes after the first (default: 2)")
  int waitSeconds;

  @ArgGroup(multiplicity = "1", heading = "How members authenticate (choose one):%n")
  NodeCommand.Auth auth;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Cluster.Builder b;
    try {
      b =
          Cluster.builder()
              .cluster(cluster)
              .bind(bind)
              .port(port)
              .nodes(peers.toArray(String[]::new))
              .security(auth.security());
      if (discover) {
        b.discover();
      }
      if (dns != null) {
        b.dns(dns);
      }
      if (dnsServer != null) {
        b.dnsServer(dnsServer);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    List<NodeStatus> nodes;
    try {
      nodes = b.status(Duration.ofSeconds(waitSeconds));
    } catch (IllegalStateException | IllegalArgumentException e) {
      spec.commandLine().getErr().println("parallel4j status: " + e.getMessage());
      return 1;
    }
    out.printf(
        "%-24s %7s %7s %7s %13s %8s %10s%n",
        "node", "workers", "running", "waiting", "other servers", "pid", "up");
    int workers = 0;
    int running = 0;
    int waiting = 0;
    for (NodeStatus n : nodes) {
      out.printf(
          "%-24s %7d %7d %7d %13d %8d %8d s%n",
          n.address(),
          n.workers(),
          n.running(),
          n.waiting(),
          n.otherServers(),
          n.pid(),
          n.uptime().toSeconds());
      workers += n.workers();
      running += n.running();
      waiting += n.waiting();
    }
    out.printf(
        "%d nodes, %d workers, %d jobs running, %d waiting, cluster %s%n",
        nodes.size(), workers, running, waiting, cluster);
    out.flush();
    return 0;
  }
}
