package org.parallel4j.cluster;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parallel4j.JobServer;

/**
 * {@code parallel4j node --dashboard PORT}: the node's page shows the jobs a job server sent it.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NodeDashboardTest {
  private final NodeProcesses nodes = new NodeProcesses();

  @AfterEach
  void stop() {
    nodes.close();
  }

  private static String get(URI uri) throws Exception {
    try (InputStream in = uri.toURL().openStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aNodesDashboardShowsTheJobsItRan() throws Exception {
    int port = NodeProcesses.freePort();
    List<String> args = new ArrayList<>(NodeProcesses.threadNode(2));
    args.addAll(List.of("--dashboard", "0"));
    NodeProcesses.Started node = nodes.start(port, args, NodeProcesses.SECRET);
    Pattern line = Pattern.compile(" dashboard: (http://127\\.0\\.0\\.1:\\d+/)$");
    URI page =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    node.output().stream()
                        .map(line::matcher)
                        .filter(Matcher::find)
                        .map(m -> URI.create(m.group(1)))
                        .findFirst()
                        .orElse(null),
                uri -> uri != null);
    assertThat(get(page)).contains("<canvas id=\"stream\"");
    try (JobServer server =
        JobServer.builder()
            .backend(
                Cluster.builder()
                    .nodes("127.0.0.1:" + port)
                    .security(NodeProcesses.security())
                    .build())
            .build()) {
      for (int i = 0; i < 5; i++) {
        assertThat(server.submit(x -> x + 1, i).get(60, SECONDS)).isEqualTo(i + 1);
      }
    }
    String state = get(page.resolve("api/state"));
    Matcher completed = Pattern.compile("\"completed\":(\\d+)").matcher(state);
    assertThat(completed.find()).as(state).isTrue();
    assertThat(Long.parseLong(completed.group(1))).as("jobs the node ran").isEqualTo(5);
    assertThat(state).contains("\"name\":\"node-" + port + "\"");
  }
}
