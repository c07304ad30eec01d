package org.parallel4j.cluster;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parallel4j.JobServer;

/**
 * Parallel Python's {@code Server(ncpus, ppservers, secret)} as the core's builder says it: {@code
 * nodes(...)}, {@code localWorkers(n)} and a secret, the cluster backend found on the class path.
 */
class BuilderNodesTest {
  private final NodeProcesses nodes = new NodeProcesses();
  private JobServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    nodes.close();
  }

  @Test
  void localWorkersAndNodesServeOneQueue(@TempDir Path dir) throws Exception {
    int port = NodeProcesses.freePort();
    NodeProcesses.Started node =
        nodes.start(port, NodeProcesses.threadNode(1), NodeProcesses.SECRET);
    Path secret = dir.resolve("secret");
    Files.writeString(secret, NodeProcesses.SECRET);
    server =
        JobServer.builder()
            .localWorkers(1) // pp: ncpus=1
            .nodes(node.address()) // pp: ppservers=("127.0.0.1:port",)
            .clusterSecretFile(secret) // pp: secret=...
            .build();
    assertThat(server.backends()).extracting(b -> b.name()).containsExactly("processes", "cluster");
    assertThat(server.map(x -> x * 2, IntStream.range(0, 200).boxed().toList(), 1))
        .hasSize(200)
        .allMatch(x -> x % 2 == 0);
    assertThat(server.submit(() -> "ok").get(30, SECONDS)).isEqualTo("ok");
  }

  @Test
  void nodesOnlyNeedsCredentialsAndSaysWhichOptions() {
    assertThatThrownBy(() -> JobServer.builder().localWorkers(0).nodes("127.0.0.1:1").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("clusterSecretFile")
        .hasMessageContaining("insecureCluster");
    assertThatThrownBy(() -> JobServer.builder().threads(1).insecureCluster().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("without nodes");
  }
}
