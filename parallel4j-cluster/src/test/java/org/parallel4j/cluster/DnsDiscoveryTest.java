package org.parallel4j.cluster;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parallel4j.JobServer;

/**
 * Discovery by DNS, as in Kubernetes, where a headless service lists its pods: nodes and a job
 * server find each other through SRV records served by {@link TinyDns} on 127.0.0.1 (SRV records
 * carry ports, so nodes on one address need no namespaces), and a node added to the records later
 * joins and takes work; and through A records, each node on an address of its own (127.0.0.2 and
 * up) and one port for all, as in Kubernetes.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DnsDiscoveryTest {
  private static final String NAME = "_parallel4j._tcp.nodes.test";
  private final NodeProcesses nodes = new NodeProcesses();
  private TinyDns dns;

  @AfterEach
  void stop() throws Exception {
    nodes.close();
    if (dns != null) {
      dns.close();
    }
  }

  /** Starts the nodes at once, as pods start, and returns their pids once all are ready. */
  private static List<Long> startAtOnce(List<Supplier<NodeProcesses.Started>> starts)
      throws Exception {
    List<CompletableFuture<NodeProcesses.Started>> starting =
        starts.stream().map(CompletableFuture::supplyAsync).toList();
    List<Long> pids = new ArrayList<>();
    for (CompletableFuture<NodeProcesses.Started> s : starting) {
      pids.add(s.get(60, SECONDS).pid());
    }
    return pids;
  }

  private List<String> nodeArgs() {
    List<String> args = new ArrayList<>(NodeProcesses.threadNode(1));
    args.addAll(List.of("--dns", NAME, "--dns-server", dns.address()));
    return args;
  }

  @Test
  void nodesFoundBySrvRecordsTakeWorkAndOneListedLaterJoins() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    dns = new TinyDns(lo);
    int[] ports = {NodeProcesses.freePort(), NodeProcesses.freePort(), NodeProcesses.freePort()};
    for (int i = 0; i < ports.length; i++) {
      dns.a("n" + i + ".nodes.test", lo);
    }
    dns.srv(
        NAME,
        new TinyDns.Srv(ports[0], "n0.nodes.test"),
        new TinyDns.Srv(ports[1], "n1.nodes.test"));
    List<Long> pids =
        startAtOnce(
            List.of(
                () -> nodes.start(ports[0], nodeArgs(), NodeProcesses.SECRET),
                () -> nodes.start(ports[1], nodeArgs(), NodeProcesses.SECRET)));
    try (JobServer server =
        JobServer.builder()
            .backend(
                Cluster.builder()
                    .dns(NAME)
                    .dnsServer(dns.address())
                    .security(NodeProcesses.security())
                    .build())
            .build()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> server.workers() == 2);
      assertThat(server.submit(() -> ProcessHandle.current().pid()).get(30, SECONDS)).isIn(pids);

      dns.srv(
          NAME,
          new TinyDns.Srv(ports[0], "n0.nodes.test"),
          new TinyDns.Srv(ports[1], "n1.nodes.test"),
          new TinyDns.Srv(ports[2], "n2.nodes.test"));
      long third = nodes.start(ports[2], nodeArgs(), NodeProcesses.SECRET).pid();
      await().atMost(Duration.ofSeconds(30)).until(() -> server.workers() == 3);
      assertThat(server.stats().toString()).contains("127.0.0.1:" + ports[2]);
      // the third node's one worker takes work too: three jobs that each hold a worker
      List<Long> ran = new ArrayList<>();
      for (long pid :
          server.map(
              x -> {
                Thread.sleep(300);
                return ProcessHandle.current().pid();
              },
              List.of(1, 2, 3, 4, 5, 6),
              1)) {
        ran.add(pid);
      }
      assertThat(ran).contains(third);
    }
  }

  /**
   * A records, as a Kubernetes headless service gives them: one address per member, one port for
   * all. Loopback's other addresses (127.0.0.2, 127.0.0.3, 127.0.0.4) stand for the pods.
   */
  @Test
  void nodesFoundByARecordsOnePortForAllTakeWork() throws Exception {
    dns = new TinyDns(InetAddress.getLoopbackAddress());
    String service = "parallel4j-nodes.jobs.svc.test";
    InetAddress n0 = InetAddress.getByName("127.0.0.2");
    InetAddress n1 = InetAddress.getByName("127.0.0.3");
    dns.a(service, n0, n1);
    int port = NodeProcesses.freePort();
    List<Supplier<NodeProcesses.Started>> starts = new ArrayList<>();
    for (InetAddress host : List.of(n0, n1)) {
      List<String> args = new ArrayList<>(NodeProcesses.threadNode(1));
      args.addAll(
          List.of(
              "--bind", host.getHostAddress(), "--dns", service, "--dns-server", dns.address()));
      starts.add(() -> nodes.start(port, args, NodeProcesses.SECRET));
    }
    List<Long> pids = startAtOnce(starts);
    try (JobServer server =
        JobServer.builder()
            .backend(
                Cluster.builder()
                    .dns(service)
                    .dnsServer(dns.address())
                    .port(port)
                    .bind("127.0.0.4")
                    .security(NodeProcesses.security())
                    .build())
            .build()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> server.workers() == 2);
      assertThat(server.stats().toString()).contains("127.0.0.2:" + port, "127.0.0.3:" + port);
      assertThat(server.submit(() -> ProcessHandle.current().pid()).get(30, SECONDS)).isIn(pids);
    }
  }

  @Test
  void aRecordsWithoutAPortAndTwoWaysOfDiscoveryAreRefusedByName() {
    assertThatThrownBy(
            () ->
                Cluster.builder()
                    .dns("nodes.default.svc.cluster.local")
                    .security(ClusterSecurity.insecure())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("looks up A records")
        .hasMessageContaining("port(...)");
    assertThatThrownBy(
            () ->
                Cluster.builder().dns(NAME).discover().security(ClusterSecurity.insecure()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("choose one of nodes(...), discover() and dns(name)");
    assertThatThrownBy(() -> Cluster.builder().dns(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: a DNS name");
    assertThatThrownBy(() -> Cluster.builder().dnsServer("nowhere"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dnsServer: nowhere");
  }
}
