package org.parallel4j;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.parallel4j.cluster.Cluster;
import org.parallel4j.cluster.NodeProcesses;

/**
 * The failover contract on a job server whose only workers are nodes: one node JVM of one worker
 * thread per worker, killed with SIGKILL (and started again on its port, as an operator would, so
 * that the cluster keeps its size) and frozen with SIGSTOP.
 */
class ClusterFailoverTest extends FailoverContractTest {
  private final NodeProcesses nodes = new NodeProcesses(Gates.workerJvmArg());

  @AfterEach
  void stopNodes() {
    nodes.close();
  }

  @Override
  JobServer newServer(int workers, int maxAttempts) {
    List<NodeProcesses.Started> started = nodes.startThreadNodes(workers, 1);
    return JobServer.builder()
        .maxAttempts(maxAttempts)
        .backend(
            Cluster.builder()
                .nodes(started.stream().map(NodeProcesses.Started::address).toArray(String[]::new))
                .security(NodeProcesses.security())
                .build())
        .build();
  }

  @Override
  String backendName() {
    return "cluster";
  }

  @Override
  void kill(long pid) throws Exception {
    nodes.restart(nodes.kill(pid));
  }

  @Override
  void freeze(long pid) throws Exception {
    nodes.signal("-STOP", pid);
  }

  @Override
  void thaw(long pid) throws Exception {
    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      nodes.signal("-CONT", pid);
    }
  }
}
