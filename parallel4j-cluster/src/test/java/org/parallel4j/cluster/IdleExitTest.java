package org.parallel4j.cluster;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parallel4j.JobServer;

/** {@code --idle-exit} (pp's {@code -t}): a node stops once no job server is connected to it. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IdleExitTest {
  private final NodeProcesses nodes = new NodeProcesses();

  @AfterEach
  void stop() {
    nodes.close();
  }

  @Test
  void aNodeStaysWhileAServerIsConnectedAndStopsByItselfOnceNoneIs() throws Exception {
    int port = NodeProcesses.freePort();
    List<String> args = new ArrayList<>(NodeProcesses.threadNode(1));
    args.addAll(List.of("--idle-exit", "5"));
    NodeProcesses.Started node = nodes.start(port, args, NodeProcesses.SECRET);
    try (JobServer server =
        JobServer.builder()
            .backend(
                Cluster.builder()
                    .nodes("127.0.0.1:" + port)
                    .security(NodeProcesses.security())
                    .build())
            .build()) {
      // a job longer than the idle time: the server's session keeps the node all along
      long ranOn =
          server
              .submit(
                  () -> {
                    Thread.sleep(6000);
                    return ProcessHandle.current().pid();
                  })
              .get(60, SECONDS);
      assertThat(ranOn).isEqualTo(node.pid());
      assertThat(node.process().isAlive()).as("alive while a server is connected").isTrue();
    }
    assertThat(node.process().waitFor(60, SECONDS)).as("stopped by itself").isTrue();
    assertThat(node.process().exitValue()).isZero();
    assertThat(node.output()).anyMatch(l -> l.endsWith("stopped: idle"));
    assertThat(node.output()).noneMatch(l -> l.contains("draining"));
  }
}
