package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker-process engine, with real worker JVMs that are made to crash and are killed for real.
 * Each test bounds its own waits; {@code close()} must leave no worker alive.
 */
class WorkerProcessTest {
  @TempDir Path tmp;

  private static void assertAllGone(List<Long> pids) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                pids.stream()
                    .noneMatch(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)));
  }

  @Test
  void runsLambdasWithTheirCapturesInOtherProcesses() throws Exception {
    List<Long> pids;
    try (JobServer server = JobServer.processes(2)) {
      int offset = 5;
      Job<Integer> job = server.submit(x -> x + offset, 10);
      assertThat(job.get(60, SECONDS)).isEqualTo(15);
      assertThat(job.ranOn()).startsWith("processes/worker-");
      long me = ProcessHandle.current().pid();
      List<Long> seen =
          server.map(
              x -> ProcessHandle.current().pid(), IntStream.range(0, 200).boxed().toList(), 1);
      pids = seen.stream().distinct().toList();
      assertThat(pids).doesNotContain(me).isNotEmpty();
      List<Integer> inputs = IntStream.range(0, 2000).boxed().toList();
      assertThat(server.map(x -> x * x, inputs))
          .isEqualTo(inputs.stream().map(x -> x * x).toList());
      assertThat(server.stats().jobsRun()).isPositive();
    }
    assertAllGone(pids);
  }

  /**
   * A lambda made anew for each submit travels as its captured values (its class once per worker):
   * each of thousands of jobs, spread over both workers, runs with its own captures, whatever their
   * kinds, and a method reference bound to a record.
   */
  @Test
  void eachJobRunsWithWhatItsOwnLambdaCaptured() throws Exception {
    record Scale(int by) implements java.io.Serializable {
      int apply(int x) {
        return x * by;
      }
    }
    try (JobServer server = JobServer.processes(2)) {
      List<Job<String>> jobs = new ArrayList<>();
      List<Job<Integer>> bound = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        int n = i;
        long big = (long) i << 33;
        String tag = "t" + i;
        List<Integer> list = List.of(i, -i);
        jobs.add(server.submit(x -> tag + ":" + (x + n) + ":" + (big >> 33) + ":" + list, 1));
        bound.add(server.submit(new Scale(i)::apply, 3));
      }
      for (int i = 0; i < 5000; i++) {
        assertThat(jobs.get(i).get(60, SECONDS))
            .isEqualTo("t" + i + ":" + (i + 1) + ":" + i + ":" + List.of(i, -i));
        assertThat(bound.get(i).get(60, SECONDS)).isEqualTo(3 * i);
      }
      assertThat(jobs.stream().map(Job::ranOn).distinct().count()).as("both workers").isEqualTo(2);
    }
  }

  @Test
  void aTaskExceptionArrivesWithTheWorkersStackTrace() throws Exception {
    try (JobServer server = JobServer.processes(1)) {
      Job<Object> job =
          server.submit(
              () -> {
                throw new IOException("disk on fire in the worker");
              });
      assertThatThrownBy(() -> job.get(60, SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(IOException.class)
          .hasMessage("disk on fire in the worker")
          .satisfies(
              e ->
                  assertThat(Arrays.toString(e.getStackTrace()))
                      .contains("org.parallel4j.process.WorkerMain"));
      assertThat(server.submit(() -> "still serving").get(60, SECONDS)).isEqualTo("still serving");
    }
  }

  @Test
  void aTaskThatCannotBeShippedIsRefusedAtSubmitNamingWhatCannot() throws Exception {
    try (JobServer server = JobServer.processes(1)) {
      Object notSerializable = new Object();
      assertThatThrownBy(() -> server.submit(() -> notSerializable.hashCode()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("the lambda in " + WorkerProcessTest.class.getName())
          .hasMessageContaining("captures value 0, of type java.lang.Object")
          .hasMessageContaining("not serializable");
      assertThatThrownBy(() -> server.submit(() -> this.tmp))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("captures 'this', an instance of " + getClass().getName());
      assertThatThrownBy(() -> server.submit(x -> x.hashCode(), new Object()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("its argument, of type java.lang.Object, is not serializable");
      Job<Object> badResult = server.submit(() -> new Object());
      assertThatThrownBy(() -> badResult.get(60, SECONDS))
          .cause()
          .isInstanceOf(IOException.class)
          .hasMessageContaining("cannot be sent back");
      assertThat(server.submit(x -> x + 1, 1).get(60, SECONDS)).isEqualTo(2);
      // the refused jobs were never accepted; the others retire just after they complete
      await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().active() == 0);
    }
  }

  @Test
  void aCrashingJobFailsAfterItsAttemptsAndEveryOtherJobCompletes() throws Exception {
    try (JobServer server = JobServer.builder().processes(2).maxAttempts(2).build()) {
      List<Job<Integer>> jobs = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        jobs.add(
            server.submit(
                x -> {
                  if (x == 500) {
                    System.err.println("about to exit on input " + x);
                    Runtime.getRuntime().halt(3);
                  }
                  return x * 2;
                },
                i));
      }
      for (int i = 0; i < jobs.size(); i++) {
        Job<Integer> job = jobs.get(i);
        if (i == 500) {
          assertThatThrownBy(() -> job.get(60, SECONDS))
              .cause()
              .isInstanceOf(WorkerCrashedException.class)
              .hasMessageContaining("exit code 3")
              .hasMessageContaining("attempts=2")
              .hasMessageContaining("about to exit on input 500");
          assertThat(job.attempts()).isEqualTo(2);
        } else {
          assertThat(job.get(60, SECONDS)).as("job for input %d", i).isEqualTo(i * 2);
        }
      }
      assertThat(server.submit(x -> x + 1, 1).get(60, SECONDS)).isEqualTo(2);
    }
  }

  @Test
  void aJobWhoseWorkerDiesOnceIsRetriedElsewhereAndSucceeds() throws Exception {
    Path marker = tmp.resolve("crashed-once");
    String path = marker.toString();
    try (JobServer server = JobServer.processes(2)) {
      Job<String> job =
          server.submit(
              () -> {
                Path m = Path.of(path);
                if (!Files.exists(m)) {
                  Files.createFile(m);
                  Runtime.getRuntime().halt(7);
                }
                return "done";
              });
      assertThat(job.get(60, SECONDS)).isEqualTo("done");
      assertThat(job.attempts()).isEqualTo(2);
    }
  }

  /**
   * A worker's standard streams carry its wake-ups: a task that reads standard input, writes bytes
   * that look like a wake-up, and closes System.out disturbs neither its worker nor its output.
   */
  @Test
  void whatATaskDoesWithItsStandardStreamsLeavesItsWorkerServing() throws Exception {
    long pid;
    String out;
    try (StdoutCapture captured = new StdoutCapture()) {
      try (JobServer server = JobServer.processes(1)) {
        pid = server.submit(() -> ProcessHandle.current().pid()).get(60, SECONDS);
        assertThat(server.submit(() -> System.in.read()).get(60, SECONDS))
            .as("standard input, which carries the server's wake-ups, reads as empty")
            .isEqualTo(-1);
        server
            .submit(
                () -> {
                  byte[] bells = new byte[4096];
                  Arrays.fill(bells, (byte) 0xFF);
                  System.out.write(bells);
                  System.out.println();
                  System.out.println("after the bytes");
                  System.out.close();
                  return 0;
                })
            .get(60, SECONDS);
        List<Long> pids =
            server.map(
                x -> ProcessHandle.current().pid(), IntStream.range(0, 2000).boxed().toList(), 1);
        assertThat(pids)
            .as("2,000 jobs, each woken and answered, on the same worker")
            .containsOnly(pid);
      }
      out = captured.text();
    }
    assertThat(out)
        .contains("[worker-1 pid " + pid + "] " + "\uFFFD".repeat(4096) + "\n")
        .contains("[worker-1 pid " + pid + "] after the bytes\n");
  }

  /**
   * A worker's end is noticed by its process exit too, when a process it started holds its standard
   * output open.
   */
  @Test
  void aWorkerWhoseOutputOutlivesItIsStillNoticedGone() throws Exception {
    try (JobServer server = JobServer.builder().processes(1).maxAttempts(1).build()) {
      long child =
          server
              .submit(() -> new ProcessBuilder("sleep", "60").inheritIO().start().pid())
              .get(60, SECONDS);
      try {
        Job<Object> crash =
            server.submit(
                () -> {
                  Runtime.getRuntime().halt(7);
                  return null;
                });
        assertThatThrownBy(() -> crash.get(30, SECONDS))
            .cause()
            .isInstanceOf(WorkerCrashedException.class)
            .hasMessageContaining("exit code 7");
        assertThat(server.submit(x -> x + 1, 1).get(60, SECONDS)).isEqualTo(2);
      } finally {
        ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  @Test
  void aWorkerKilledFromOutsideIsReplacedAndItsJobRetried() throws Exception {
    Path started = tmp.resolve("started");
    String path = started.toString();
    try (JobServer server = JobServer.processes(2)) {
      Job<Long> victim =
          server.submit(
              () -> {
                Path p = Path.of(path);
                if (!Files.exists(p)) {
                  Files.writeString(p, Long.toString(ProcessHandle.current().pid()));
                  new java.util.concurrent.CountDownLatch(1).await(60, SECONDS); // killed here
                }
                return ProcessHandle.current().pid();
              });
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.exists(started) && Files.size(started) > 0);
      List<Job<Integer>> others = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        others.add(server.submit(x -> x * 2, i));
      }
      long pid = Long.parseLong(Files.readString(started).strip());
      ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL, to a pid we started
      long ranOn = victim.get(60, SECONDS);
      assertThat(ranOn).isNotEqualTo(pid);
      assertThat(victim.attempts()).isEqualTo(2);
      for (int i = 0; i < others.size(); i++) {
        assertThat(others.get(i).get(60, SECONDS)).as("job for input %d", i).isEqualTo(i * 2);
        assertThat(others.get(i).attempts()).isEqualTo(1);
      }
      List<Integer> inputs = IntStream.range(0, 100).boxed().toList();
      assertThat(server.map(x -> x + 1, inputs)).hasSize(100);
    }
  }

  @Test
  void workersExitWhenTheirServerIsKilled() throws Exception {
    Process owner =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                OrphanHelperMain.class.getName())
            .redirectErrorStream(true)
            .start();
    try {
      List<Long> pids = new ArrayList<>();
      try (var lines =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(
                  owner.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          if (line.startsWith("pids [")) {
            for (String p : line.substring(6, line.length() - 1).split(", ")) {
              pids.add(Long.parseLong(p.strip()));
            }
            break;
          }
        }
        assertThat(pids).as("worker pids printed by the owner").isNotEmpty();
        assertThat(pids).allMatch(p -> ProcessHandle.of(p).isPresent());
        owner.destroyForcibly(); // SIGKILL: the owner gets no chance to stop its workers
        assertThat(owner.waitFor(30, SECONDS)).isTrue();
        await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () ->
                    pids.stream()
                        .noneMatch(
                            p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)));
      }
    } finally {
      owner.destroyForcibly();
    }
  }

  /** A flag that stays true: a loop on it runs until its JVM is killed. */
  static final class Runaway {
    static volatile boolean forever = true;

    private Runaway() {}
  }

  @Test
  void aRunawayTaskPastItsDeadlineHasItsWorkerKilledAndNothingElseIsDisturbed() throws Exception {
    try (JobServer server = JobServer.processes(2)) {
      List<Job<Integer>> jobs = new ArrayList<>();
      for (int i = 0; i < 250; i++) {
        jobs.add(server.submit(x -> x + 1, i));
      }
      Job<Integer> runaway =
          server.submit(
              () -> {
                long spins = 0;
                while (Runaway.forever) {
                  spins++;
                }
                return (int) spins;
              },
              Duration.ofMillis(500));
      for (int i = 250; i < 500; i++) {
        jobs.add(server.submit(x -> x + 1, i));
      }
      assertThatThrownBy(() -> runaway.get(60, SECONDS))
          .cause()
          .isInstanceOf(TaskTimeoutException.class)
          .hasMessageContaining("ran past its deadline of 500 ms")
          .hasMessageContaining("was killed")
          .hasMessageContaining("pid ");
      for (int i = 0; i < jobs.size(); i++) {
        assertThat(jobs.get(i).get(60, SECONDS)).as("job for input %d", i).isEqualTo(i + 1);
      }
      assertThat(server.submit(x -> x * 3, 3).get(60, SECONDS)).isEqualTo(9);
    }
  }

  @Test
  void cancelInterruptsTheTaskInItsWorkerAndTheWorkerGoesOn() throws Exception {
    Path started = tmp.resolve("started");
    Path interrupted = tmp.resolve("interrupted");
    String startedPath = started.toString();
    String interruptedPath = interrupted.toString();
    try (JobServer server = JobServer.processes(1)) {
      long pid = server.submit(() -> ProcessHandle.current().pid()).get(60, SECONDS);
      Job<Integer> job =
          server.submit(
              () -> {
                Files.createFile(Path.of(startedPath));
                try {
                  new java.util.concurrent.CountDownLatch(1).await(60, SECONDS);
                } catch (InterruptedException e) {
                  Files.createFile(Path.of(interruptedPath));
                  throw e;
                }
                return 1;
              });
      Job<Long> queuedBehind = server.submit(() -> ProcessHandle.current().pid());
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(started));
      assertThat(job.cancel(true)).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(interrupted));
      assertThat(queuedBehind.get(60, SECONDS)).as("the same worker went on").isEqualTo(pid);
    }
  }

  @Test
  void aCancelledTaskThatIgnoresInterruptsHasItsWorkerReplaced() throws Exception {
    Path started = tmp.resolve("spinning");
    String startedPath = started.toString();
    try (JobServer server = JobServer.processes(1)) {
      long pid = server.submit(() -> ProcessHandle.current().pid()).get(60, SECONDS);
      Job<Integer> spinner =
          server.submit(
              () -> {
                Files.createFile(Path.of(startedPath));
                long spins = 0;
                while (Runaway.forever) { // ignores interrupts
                  spins++;
                }
                return (int) spins;
              });
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(started));
      assertThat(spinner.cancel(true)).isTrue();
      long after = server.submit(() -> ProcessHandle.current().pid()).get(60, SECONDS);
      assertThat(after).as("a fresh worker").isNotEqualTo(pid);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }
  }

  @Test
  void aHostileFrameClosesThatWorkersChannelAndNothingElse() throws Exception {
    try (JobServer server = JobServer.builder().processes(2).maxAttempts(2).build()) {
      List<Job<Integer>> jobs = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        jobs.add(server.submit(x -> x + 1, i));
      }
      Job<Integer> hostile =
          server.submit(
              () -> {
                org.parallel4j.process.HostileFrame.send();
                return 0;
              });
      for (int i = 300; i < 600; i++) {
        jobs.add(server.submit(x -> x + 1, i));
      }
      assertThatThrownBy(() -> hostile.get(60, SECONDS))
          .cause()
          .isInstanceOf(WorkerCrashedException.class)
          .hasMessageContaining("bad frame length: 2147483647")
          .hasMessageContaining("attempts=2");
      for (int i = 0; i < jobs.size(); i++) {
        assertThat(jobs.get(i).get(60, SECONDS)).as("job for input %d", i).isEqualTo(i + 1);
      }
    }
  }

  /** Worker processes this JVM has started and that are alive now. */
  private static long liveWorkers() {
    return ProcessHandle.current()
        .children()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(c -> c.contains("WorkerMain")).orElse(false))
        .count();
  }

  @Test
  void setWorkersStartsAndRetiresWorkerProcessesLosingNothing() throws Exception {
    try (JobServer server = JobServer.processes(1)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> liveWorkers() == 1);
      List<Job<Integer>> jobs = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        jobs.add(server.submit(x -> x + 1, i));
        if (i == 500) {
          server.setWorkers(3);
        }
        if (i == 1500) {
          server.setWorkers(1);
        }
      }
      for (int i = 0; i < jobs.size(); i++) {
        assertThat(jobs.get(i).get(60, SECONDS)).isEqualTo(i + 1);
      }
      assertThat(server.workers()).isEqualTo(1);
      await().atMost(Duration.ofSeconds(30)).until(() -> liveWorkers() == 1);
      server.setWorkers(2);
      await().atMost(Duration.ofSeconds(30)).until(() -> liveWorkers() == 2);
      assertThat(server.map(x -> x * 2, List.of(1, 2, 3))).containsExactly(2, 4, 6);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> liveWorkers() == 0);
  }
}
