package org.parallel4j;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.parallel4j.cluster.Cluster;
import org.parallel4j.cluster.NodeProcesses;

/**
 * The contract suite on a job server whose only workers are on two nodes: real node JVMs of two
 * worker threads each, started once for the class, reached over TLS on 127.0.0.1.
 */
class ClusterJobServerTest extends JobServerContractTest {
  private static NodeProcesses nodes;
  private static List<NodeProcesses.Started> started;

  @BeforeAll
  static void startNodes() {
    nodes = new NodeProcesses(Gates.workerJvmArg());
    started = nodes.startThreadNodes(2, WORKERS / 2);
  }

  @AfterAll
  static void stopNodes() {
    nodes.close();
  }

  @Override
  JobServer newServer(int workers) {
    JobServer s =
        JobServer.builder()
            .backend(
                Cluster.builder()
                    .nodes(
                        started.stream().map(NodeProcesses.Started::address).toArray(String[]::new))
                    .security(NodeProcesses.security())
                    .build())
            .build();
    if (workers != WORKERS) {
      s.setWorkers(workers);
    }
    return s;
  }
}
