package org.parallel4j.cluster;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parallel4j.Job;
import org.parallel4j.JobServer;

/** {@link Cluster.Builder#status}: each node's capacity and load, as it tells a job server. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StatusTest {
  private final NodeProcesses nodes = new NodeProcesses();

  @AfterEach
  void stop() {
    nodes.close();
  }

  @Test
  void statusListsEveryNodeWithItsWorkersJobsAndOtherServers() throws Exception {
    List<NodeProcesses.Started> started = nodes.startThreadNodes(2, 2);
    String[] addresses =
        started.stream().map(NodeProcesses.Started::address).toArray(String[]::new);
    try (JobServer busy =
        JobServer.builder()
            .backend(Cluster.builder().nodes(addresses).security(NodeProcesses.security()).build())
            .build()) {
      Job<Long> job =
          busy.submit(
              () -> {
                Thread.sleep(60_000); // held until cancelled below
                return 0L;
              });
      // the node reports the start: from then on it counts the job as running
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> job.runTime().compareTo(Duration.ZERO) > 0);
      List<NodeStatus> status =
          Cluster.builder()
              .nodes(addresses)
              .security(NodeProcesses.security())
              .status(Duration.ofSeconds(1));
      assertThat(status).extracting(NodeStatus::address).containsExactlyInAnyOrder(addresses);
      assertThat(status).extracting(NodeStatus::workers).containsOnly(2);
      assertThat(status).extracting(NodeStatus::otherServers).containsOnly(1);
      assertThat(status.stream().mapToInt(NodeStatus::running).sum()).isEqualTo(1);
      assertThat(status.stream().mapToInt(NodeStatus::waiting).sum()).isZero();
      assertThat(status)
          .extracting(NodeStatus::pid)
          .containsExactlyInAnyOrderElementsOf(
              started.stream().map(NodeProcesses.Started::pid).toList());
      assertThat(status).allSatisfy(s -> assertThat(s.uptime()).isPositive());
      job.cancel(true);
      assertThat(busy.submit(() -> 1).get(30, SECONDS)).isEqualTo(1);
    }
  }
}
