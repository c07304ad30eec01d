package org.parallel4j.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Members on hosts of their own (network namespaces on one bridge, see {@link NetworkNamespaces}):
 * two nodes and a job server that find each other by multicast alone, and a node whose network is
 * cut while its jobs run (it closes no socket: only heartbeats tell). Skipped, saying why, where
 * namespaces cannot be made.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NamespaceClusterTest {
  private NetworkNamespaces hosts;
  private final List<Process> processes = new ArrayList<>();
  private final List<String> clientOutput = new CopyOnWriteArrayList<>();
  private Process client;

  @BeforeEach
  void makeHosts() throws Exception {
    String why = NetworkNamespaces.unavailable();
    if (why != null) {
      System.out.println("NamespaceClusterTest skipped: " + why);
    }
    Assumptions.assumeTrue(why == null, why);
    hosts = new NetworkNamespaces(3); // hosts 0 and 1: nodes; host 2: the job server
  }

  @AfterEach
  void removeHosts() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    if (hosts != null) {
      hosts.close();
    }
  }

  private NodeLauncher.Launched node(int host) throws Exception {
    NodeLauncher.Launched l =
        NodeLauncher.launch(
            hosts.exec(host),
            7800,
            List.of(
                "--bind",
                NetworkNamespaces.address(host),
                "--discover",
                "--threads",
                "--workers",
                "1",
                "--secret-env",
                NodeProcesses.SECRET_VARIABLE),
            Map.of(NodeProcesses.SECRET_VARIABLE, NodeProcesses.SECRET),
            List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
            line -> System.out.println("[node on host " + host + "] " + line));
    processes.add(l.process());
    return l;
  }

  private void startClient(int jobs, long sleepMillis) throws Exception {
    List<String> command = new ArrayList<>(hosts.exec(2));
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            DiscoveryClientMain.class.getName(),
            NetworkNamespaces.address(2),
            "2",
            Integer.toString(jobs),
            Long.toString(sleepMillis)));
    client = new ProcessBuilder(command).redirectErrorStream(true).start();
    processes.add(client);
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  System.out.println("[job server on host 2] " + line);
                  clientOutput.add(line);
                }
              } catch (Exception e) {
                // ended
              }
            });
  }

  private String summary() {
    return clientOutput.stream().filter(l -> l.startsWith("done=")).findFirst().orElse("");
  }

  @Test
  void nodesAndAJobServerFindEachOtherByMulticastAlone() throws Exception {
    NodeLauncher.Launched a = node(0);
    NodeLauncher.Launched b = node(1);
    a.ready().get(60, TimeUnit.SECONDS);
    b.ready().get(60, TimeUnit.SECONDS);
    startClient(40, 20);
    assertThat(client.waitFor(120, TimeUnit.SECONDS)).as("the job server ends").isTrue();
    assertThat(client.exitValue()).isZero();
    assertThat(clientOutput).contains("workers=2");
    assertThat(summary())
        .contains("done=40 completions=40")
        .contains("cluster/" + NetworkNamespaces.address(0) + ":7800")
        .contains("cluster/" + NetworkNamespaces.address(1) + ":7800");
  }

  @Test
  void aNodeCutOffTheNetworkHasItsJobsRunElsewhereEachOnce() throws Exception {
    NodeLauncher.Launched a = node(0);
    NodeLauncher.Launched b = node(1);
    a.ready().get(60, TimeUnit.SECONDS);
    b.ready().get(60, TimeUnit.SECONDS);
    startClient(40, 200);
    await().atMost(Duration.ofSeconds(90)).until(() -> clientOutput.contains("submitted"));
    hosts.cut(0, true); // no socket closes: only missed heartbeats tell
    assertThat(client.waitFor(120, TimeUnit.SECONDS)).as("the job server ends").isTrue();
    assertThat(client.exitValue()).isZero();
    String summary = summary();
    assertThat(summary).contains("done=40 completions=40");
    double seconds = Double.parseDouble(summary.replaceAll(".*seconds=([0-9.]+).*", "$1"));
    assertThat(seconds).as("all done within the 10 s goal plus the jobs' own time").isLessThan(20);
  }
}
