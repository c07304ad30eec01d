package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parallel4j.cluster.Cluster;
import org.parallel4j.cluster.NodeProcesses;

/**
 * Nodes and job servers that come and go while jobs run, as real JVMs: a node killed with 2,000
 * jobs in flight, a node that joins mid-run, a node stopped with SIGTERM, and a job server killed
 * while its job runs on a node. Tasks report where they run through {@link Gates}, so no test waits
 * on time.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClusterLifecycleTest {
  private final NodeProcesses nodes = new NodeProcesses(Gates.workerJvmArg());
  private JobServer server;
  private Process orphanServer;

  @BeforeEach
  void resetGates() {
    Gates.reset();
    Gates.create(1);
    Gates.seen = new ConcurrentHashMap<>();
  }

  @AfterEach
  void stop() throws Exception {
    Gates.openAll();
    if (orphanServer != null) {
      orphanServer.destroyForcibly().waitFor(30, SECONDS);
    }
    if (server != null) {
      server.shutdownNow();
      assertThat(server.awaitTermination(60, SECONDS)).isTrue();
    }
    nodes.close();
  }

  private static JobServer serverOf(List<NodeProcesses.Started> on) {
    return JobServer.builder()
        .backend(
            Cluster.builder()
                .nodes(on.stream().map(NodeProcesses.Started::address).toArray(String[]::new))
                .security(NodeProcesses.security())
                .build())
        .build();
  }

  @Test
  void aNodeKilledWith2000JobsInFlightLosesNoneAndEachCompletesOnce() throws Exception {
    List<NodeProcesses.Started> started = nodes.startThreadNodes(2, 2);
    server = serverOf(started);
    int n = 2000;
    Gates.runsPerInput =
        IntStream.range(0, n).mapToObj(i -> new AtomicInteger()).toArray(AtomicInteger[]::new);
    AtomicInteger completions = new AtomicInteger();
    List<Job<Integer>> jobs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Job<Integer> job =
          server.submit(
              x -> {
                Gates.ran(x);
                Thread.sleep(1);
                return x * 2;
              },
              i);
      job.whenComplete((r, e) -> completions.incrementAndGet());
      jobs.add(job);
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                IntStream.range(0, n).filter(i -> Gates.runsPerInput[i].get() > 0).count() > n / 5);
    nodes.kill(started.get(0).pid());
    for (int i = 0; i < n; i++) {
      assertThat(jobs.get(i).get(60, SECONDS)).isEqualTo(i * 2);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().active() == 0);
    assertThat(completions.get()).isEqualTo(n);
    for (int i = 0; i < n; i++) {
      assertThat(Gates.runsPerInput[i].get()).as("runs of input %d", i).isBetween(1, 2);
    }
    assertThat(jobs.stream().map(Job::ranOn).distinct())
        .as("where jobs ran")
        .contains("cluster/" + started.get(1).address());
  }

  @Test
  void aNodeThatJoinsMidRunReceivesWork() throws Exception {
    List<NodeProcesses.Started> first = nodes.startThreadNodes(1, 1);
    server = serverOf(first);
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      jobs.add(server.submit(x -> Gates.await(0) + x, i)); // the first holds the only worker
    }
    int port = NodeProcesses.freePort();
    List<String> args = new ArrayList<>(NodeProcesses.threadNode(1));
    args.addAll(List.of("--peers", first.get(0).address()));
    NodeProcesses.Started late = nodes.start(port, args, NodeProcesses.SECRET);
    await().atMost(Duration.ofSeconds(30)).until(() -> server.workers() == 2);
    Gates.open(0);
    for (int i = 0; i < jobs.size(); i++) {
      assertThat(jobs.get(i).get(60, SECONDS)).isEqualTo(i);
    }
    assertThat(jobs.stream().filter(j -> j.ranOn().equals("cluster/" + late.address())).count())
        .as("jobs run on the node that joined")
        .isPositive();
    Stats.Backend cluster = server.stats().backends().get(0);
    assertThat(cluster.perWorker())
        .as("a stats row per node, as pp's print_stats")
        .extracting(Stats.Worker::name)
        .containsExactlyInAnyOrder(first.get(0).address(), late.address());
    assertThat(cluster.perWorker().stream().mapToLong(Stats.Worker::jobs).sum())
        .isEqualTo(cluster.jobs());
  }

  @Test
  void sigtermFinishesTheRunningJobAndHandsBackTheWaitingOnes() throws Exception {
    List<NodeProcesses.Started> started = nodes.startThreadNodes(2, 1);
    server = serverOf(started);
    Job<String> running =
        server.submit(
            () -> {
              Gates.at(1, ProcessHandle.current().pid());
              Gates.await(0);
              return "finished where it started";
            });
    await().atMost(Duration.ofSeconds(30)).until(() -> !Gates.where(1).isEmpty());
    NodeProcesses.Started stopping = nodes.byPid(Gates.where(1).get(0));
    List<Job<Integer>> others = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      others.add(server.submit(x -> x + 1, i));
    }
    nodes.signal("-TERM", stopping.pid());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> stopping.output().stream().anyMatch(l -> l.contains("draining")));
    Gates.open(0);
    assertThat(running.get(60, SECONDS)).isEqualTo("finished where it started");
    assertThat(running.attempts()).isEqualTo(1);
    assertThat(running.ranOn()).isEqualTo("cluster/" + stopping.address());
    for (int i = 0; i < others.size(); i++) {
      assertThat(others.get(i).get(60, SECONDS)).isEqualTo(i + 1);
      assertThat(others.get(i).attempts()).isEqualTo(1);
    }
    assertThat(stopping.process().waitFor(60, SECONDS)).as("the node exits").isTrue();
    assertThat(stopping.output())
        .as("it says it drained, and not that it went idle")
        .anyMatch(l -> l.endsWith(" stopped"))
        .noneMatch(l -> l.contains("stopped: idle"));
    assertThat(Gates.where(1)).hasSize(1);
  }

  @Test
  void aKilledJobServersJobIsCancelledAndItsWorkerFreed() throws Exception {
    List<NodeProcesses.Started> started = nodes.startThreadNodes(1, 1);
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                OrphanServerMain.class.getName(),
                started.get(0).address())
            .redirectErrorStream(true);
    orphanServer = pb.start();
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(
                          orphanServer.getInputStream(), StandardCharsets.UTF_8))) {
                r.lines().forEach(l -> System.out.println("[orphan server] " + l));
              } catch (Exception e) {
                // gone
              }
            });
    await().atMost(Duration.ofSeconds(60)).until(() -> !Gates.where(1).isEmpty());
    orphanServer.destroyForcibly(); // SIGKILL: the node sees its server leave
    assertThat(orphanServer.waitFor(30, TimeUnit.SECONDS)).isTrue();
    server = serverOf(started); // the node's only worker must be free for this
    assertThat(server.submit(() -> "free").get(60, SECONDS)).isEqualTo("free");
    assertThat(started.get(0).output())
        .anyMatch(l -> l.contains("left the cluster") && l.contains("1 running jobs cancelled"));
  }

  /**
   * With no node left, jobs wait and stats() says why; with a bound, they fail after it, saying so.
   */
  @Test
  void withNoNodeReachableJobsWaitSayingWhyAndFailAfterTheBound() throws Exception {
    List<NodeProcesses.Started> started = nodes.startThreadNodes(1, 1);
    server =
        JobServer.builder()
            .backend(
                Cluster.builder()
                    .nodes(started.get(0).address())
                    .security(NodeProcesses.security())
                    .failWithoutNodesAfter(Duration.ofSeconds(2))
                    .build())
            .build();
    assertThat(server.submit(() -> "before").get(30, SECONDS)).isEqualTo("before");
    assertThat(server.stats().backends().get(0).status()).isNull();
    nodes.kill(started.get(0).pid());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> server.stats().backends().get(0).status() != null);
    assertThat(server.stats().toString()).contains("no node reachable for", "fail after 2 s");
    Job<String> stranded = server.submit(() -> "never");
    assertThatThrownBy(() -> stranded.get(30, SECONDS))
        .isInstanceOf(java.util.concurrent.ExecutionException.class)
        .cause()
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("has been reachable for 2 s");
  }

  /**
   * A node frozen (SIGSTOP) while its job runs: the job runs again on the other node, round after
   * round on fresh nodes (3 rounds; {@code -DfrozenRounds=N} for more, up to 15 within the class's
   * time limit). Two hangs were found this way. A handshake with a frozen node (whose kernel still
   * accepts connections) held JGroups' connection table for ever, until the handshake had a bound.
   * Then, one round in ten or so, the healthy node was excluded too, 9 s after the frozen one, and
   * the job waited: JGroups' single sender thread sat in connects and 3 s handshakes with the
   * frozen node (for retransmissions and discovery), so the healthy node's heartbeats and results
   * did not leave it, and the server suspected it. A sender per member (JGroups' per-destination
   * bundler) ended that, but left a node now and then never answering a new job server's greeting,
   * so it went; a 1 s bound on the handshake ended it too: 14 rounds, no healthy node suspected.
   */
  @Test
  void aJobOfAFrozenNodeRunsAgainElsewhere() throws Exception {
    int rounds = Integer.getInteger("frozenRounds", 3);
    for (int round = 0; round < rounds; round++) {
      List<NodeProcesses.Started> started = nodes.startThreadNodes(2, 2);
      try (JobServer s = serverOf(started)) {
        s.submit(() -> 1).get(30, SECONDS);
        Job<Long> job =
            s.submit(
                () -> {
                  Gates.at(20, ProcessHandle.current().pid());
                  Thread.sleep(500);
                  return ProcessHandle.current().pid();
                });
        await().atMost(Duration.ofSeconds(30)).until(() -> !Gates.where(20).isEmpty());
        long frozen = Gates.where(20).get(0);
        nodes.signal("-STOP", frozen);
        assertThat(job.get(60, SECONDS)).as("round %d", round).isNotEqualTo(frozen);
        nodes.signal("-CONT", frozen);
        Gates.where.clear();
      }
      nodes.close();
    }
  }
}
