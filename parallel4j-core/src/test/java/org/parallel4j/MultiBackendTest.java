package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parallel4j.spi.Backend;

/**
 * One job server feeding several backends from one queue: local worker processes beside test
 * backends that stand in for remote nodes, with backends added and removed while jobs run.
 */
class MultiBackendTest {
  @BeforeEach
  void resetGates() {
    Gates.reset();
  }

  private static List<Job<Integer>> submitRange(JobServer server, int from, int to) {
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = from; i < to; i++) {
      jobs.add(
          server.submit(
              x -> {
                Gates.ran(x);
                return x * 2;
              },
              i));
    }
    return jobs;
  }

  private static long jobsOn(JobServer server, String backend) {
    return server.stats().backends().stream()
        .filter(row -> row.name().equals(backend))
        .mapToLong(Stats.Backend::jobs)
        .sum();
  }

  @Test
  void backendsAddedAndRemovedMidRunLoseAndRepeatNothing() throws Exception {
    int n = 3000;
    Gates.runsPerInput =
        IntStream.range(0, n).mapToObj(i -> new AtomicInteger()).toArray(AtomicInteger[]::new);
    SimulatedBackend a = new SimulatedBackend("sim-a", 2, 4, Duration.ofNanos(100_000));
    SimulatedBackend b = new SimulatedBackend("sim-b", 2, 4, Duration.ofNanos(100_000));
    List<Job<Integer>> jobs = new ArrayList<>();
    try (JobServer server =
        JobServer.builder().processes(2).workerJvmArgs(Gates.workerJvmArg()).backend(a).build()) {
      Backend processes = server.backends().get(0);
      jobs.addAll(submitRange(server, 0, 1000));
      server.addBackend(b);
      org.awaitility.Awaitility.await() // sim-a has taken some of the first batch
          .atMost(Duration.ofSeconds(30))
          .until(() -> a.busy() > 0 || jobsOn(server, "sim-a") > 0);
      var aStopped = server.removeBackend(a); // while jobs of the first batch run there
      jobs.addAll(submitRange(server, 1000, 2000));
      var processesStopped = server.removeBackend(processes);
      jobs.addAll(submitRange(server, 2000, n)); // only sim-b is left to run these
      for (int i = 0; i < n; i++) {
        assertThat(jobs.get(i).get(60, SECONDS)).as("job %d", i).isEqualTo(2 * i);
      }
      aStopped.get(60, SECONDS);
      processesStopped.get(60, SECONDS);
      for (int i = 0; i < n; i++) {
        assertThat(Gates.runsPerInput[i].get()).as("runs of input %d", i).isEqualTo(1);
      }
      assertThat(server.backends()).containsExactly(b);
      Map<String, Long> perBackend =
          server.stats().backends().stream()
              .collect(Collectors.toMap(Stats.Backend::name, Stats.Backend::jobs));
      assertThat(perBackend).containsOnlyKeys("processes", "sim-a", "sim-b");
      assertThat(perBackend.values()).allMatch(jobsRun -> jobsRun > 0);
      assertThat(perBackend.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(n);
      assertThat(jobs.subList(2000, n)).allMatch(j -> j.ranOn().startsWith("sim-b/"));
      assertThatThrownBy(() -> server.setWorkers(3))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no local engine");
    }
  }

  @Test
  void aLostBackendsJobsRunOnTheOthersAndItIsFedNoMore() throws Exception {
    Gates.create(2);
    Gates.seen = new java.util.concurrent.ConcurrentHashMap<>();
    SimulatedBackend node = new SimulatedBackend("node", 2, 4, Duration.ZERO);
    try (JobServer server = JobServer.builder().threads(2).backend(node).build()) {
      // held on the node until it is lost; on threads until gate 1 opens, so the node takes some
      List<Job<String>> jobs = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        int tag = 100 + i;
        jobs.add(
            server.submit(
                () -> {
                  boolean onNode = SimulatedBackend.currentWorker().isPresent();
                  if (onNode && Gates.firstRun(tag)) {
                    Gates.await(0);
                  } else if (!onNode) {
                    Gates.await(1);
                  }
                  return onNode ? "node" : "threads";
                }));
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> node.busy() > 0);
      node.loseAll();
      Gates.open(1);
      for (Job<String> job : jobs) {
        assertThat(job.get(60, SECONDS)).isEqualTo("threads");
      }
      assertThat(server.backends()).hasSize(1);
      assertThat(server.submit(() -> "still").get(60, SECONDS)).isEqualTo("still");
      Gates.open(0);
    }
  }

  /**
   * A job a lost node gave back runs on unbounded virtual threads, whose queue is otherwise empty.
   */
  @Test
  void jobsALostNodeGaveBackRunOnUnboundedVirtualThreads() throws Exception {
    Gates.create(1);
    SimulatedBackend node = new SimulatedBackend("node", 1, 4, Duration.ZERO);
    try (JobServer server = JobServer.builder().backend(node).build()) {
      List<Job<String>> jobs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        jobs.add(
            server.submit(
                () -> {
                  if (SimulatedBackend.currentWorker().isPresent()) {
                    Gates.await(0);
                    return "node";
                  }
                  return "virtual";
                }));
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> node.busy() > 0);
      server.addBackend(new org.parallel4j.threads.ThreadBackend(true, Integer.MAX_VALUE));
      node.loseAll();
      for (Job<String> job : jobs) {
        assertThat(job.get(60, SECONDS)).isEqualTo("virtual");
      }
      Gates.open(0);
    }
  }

  /** Removing a backend after shutdown, or twice, neither hangs close() nor stops it twice. */
  @Test
  void removingABackendAfterShutdownLetsTheServerTerminate() throws Exception {
    SimulatedBackend a = new SimulatedBackend("sim-a", 1, 2, Duration.ZERO);
    SimulatedBackend b = new SimulatedBackend("sim-b", 1, 2, Duration.ZERO);
    JobServer server = JobServer.builder().threads(1).backend(a).backend(b).build();
    assertThat(server.submit(() -> 1).get(60, SECONDS)).isEqualTo(1);
    var first = server.removeBackend(a);
    assertThatThrownBy(() -> server.removeBackend(a)).isInstanceOf(IllegalArgumentException.class);
    server.shutdown();
    var second = server.removeBackend(b);
    assertThat(server.awaitTermination(60, SECONDS)).as("terminated").isTrue();
    first.get(60, SECONDS);
    second.get(60, SECONDS);
    assertThatThrownBy(() -> server.addBackend(new SimulatedBackend("late", 1, 1, Duration.ZERO)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("shut down");
  }
}
