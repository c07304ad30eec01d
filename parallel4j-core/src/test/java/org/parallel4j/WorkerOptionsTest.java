package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Worker-process options, and each way a worker can die, with real worker JVMs. */
class WorkerOptionsTest {
  @TempDir Path tmp;

  /** Set in each worker by the initializer below; read by its tasks. */
  static volatile String initialized;

  @Test
  void theInitializerRunsOnceInEachWorkerBeforeItsTasks() throws Exception {
    Path log = tmp.resolve("init.log");
    String logPath = log.toString();
    try (JobServer server =
        JobServer.builder()
            .processes(2)
            .workerInitializer(
                () -> {
                  String pid = Long.toString(ProcessHandle.current().pid());
                  Files.writeString(
                      Path.of(logPath),
                      pid + "\n",
                      java.nio.file.StandardOpenOption.CREATE,
                      java.nio.file.StandardOpenOption.APPEND);
                  initialized = "ready in " + pid;
                })
            .build()) {
      List<String> seen =
          server.map(
              x -> WorkerOptionsTest.initialized, IntStream.range(0, 200).boxed().toList(), 1);
      List<String> pids = Files.readAllLines(log);
      assertThat(pids).hasSize(2).doesNotHaveDuplicates();
      assertThat(seen).allMatch(s -> s != null && s.startsWith("ready in "));
      assertThat(seen.stream().map(s -> s.substring("ready in ".length())).distinct())
          .isSubsetOf(pids);
    }
  }

  @Test
  void anInitializerThatFailsEverywhereFailsTheBuildWithItsException() {
    assertThatThrownBy(
            () ->
                JobServer.builder()
                    .processes(2)
                    .workerInitializer(
                        () -> {
                          throw new IllegalStateException("no database here");
                        })
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no worker process could be started")
        .hasMessageContaining("the initializer failed")
        .hasRootCauseInstanceOf(IllegalStateException.class)
        .rootCause()
        .hasMessage("no database here");
  }

  @Test
  void workersAreReplacedAfterMaxTasksAndNoJobIsLostOrRepeated() throws Exception {
    try (JobServer server = JobServer.builder().processes(2).maxTasksPerWorker(10).build()) {
      List<Job<long[]>> jobs = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        jobs.add(server.submit(x -> new long[] {x, ProcessHandle.current().pid()}, (long) i));
      }
      List<Long> pids = new ArrayList<>();
      for (int i = 0; i < jobs.size(); i++) {
        long[] r = jobs.get(i).get(60, SECONDS);
        assertThat(r[0]).isEqualTo(i);
        assertThat(jobs.get(i).attempts()).isEqualTo(1);
        pids.add(r[1]);
      }
      long distinct = pids.stream().distinct().count();
      assertThat(distinct)
          .as("workers used for 100 tasks, 10 each at most")
          .isGreaterThanOrEqualTo(10);
      for (long pid : pids.stream().distinct().toList()) {
        assertThat(pids.stream().filter(p -> p == pid).count()).isLessThanOrEqualTo(10);
      }
    }
  }

  /** A collector chosen in workerJvmArgs replaces the default SerialGC (the JVM refuses two). */
  @Test
  void aCollectorChosenForTheWorkersIsTheOneTheyRun() throws Exception {
    try (JobServer server =
        JobServer.builder().processes(1).workerJvmArgs("-XX:+UseParallelGC").build()) {
      // the worker's own command line: the JVM refuses to start with two collectors chosen
      List<String> arguments =
          server
              .submit(
                  () -> List.of(ProcessHandle.current().info().arguments().orElse(new String[0])))
              .get(60, SECONDS);
      assertThat(arguments).contains("-XX:+UseParallelGC").doesNotContain("-XX:+UseSerialGC");
    }
  }

  /** A worker JVM that cannot start says why, also when the JVM says it on standard output. */
  @Test
  void aWorkerThatCannotStartSaysWhy() {
    assertThatThrownBy(
            () ->
                JobServer.builder()
                    .processes(1)
                    .workerJvmArgs("-XX:+UseParallelGC", "-XX:+UseG1GC")
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no worker process could be started")
        .hasMessageContaining("exit code 1")
        .hasMessageContaining("Multiple garbage collectors selected");
  }

  @Test
  void environmentDirectoryClassPathAndJvmFlagsReachTheWorkers() throws Exception {
    Path extra = tmp.resolve("extra");
    Files.createDirectories(extra);
    try (JobServer server =
        JobServer.builder()
            .processes(1)
            .workerEnvironment(Map.of("P4J_TEST_VAR", "from the parent"))
            .workerDirectory(tmp)
            .workerClassPath(extra)
            .workerJvmArgs("-Dp4j.flag=set", "-Xmx96m")
            .build()) {
      Job<List<String>> job =
          server.submit(
              () ->
                  List.of(
                      String.valueOf(System.getenv("P4J_TEST_VAR")),
                      Path.of("").toAbsolutePath().toString(),
                      System.getProperty("java.class.path"),
                      String.valueOf(System.getProperty("p4j.flag")),
                      Long.toString(Runtime.getRuntime().maxMemory() >> 20)));
      List<String> r = job.get(60, SECONDS);
      assertThat(r.get(0)).isEqualTo("from the parent");
      assertThat(Path.of(r.get(1))).isEqualTo(tmp.toAbsolutePath());
      assertThat(r.get(2)).endsWith(extra.toAbsolutePath().toString());
      assertThat(r.get(3)).isEqualTo("set");
      assertThat(Long.parseLong(r.get(4))).isLessThanOrEqualTo(96);
    }
  }

  @Test
  void workerOutputIsForwardedLineByLineWithTheWorkersNameAndPid() throws Exception {
    long pid;
    String out;
    try (StdoutCapture captured = new StdoutCapture()) {
      try (JobServer server = JobServer.processes(1)) {
        pid =
            server
                .submit(
                    () -> {
                      System.out.println("first line from a task");
                      System.out.println("second line");
                      return ProcessHandle.current().pid();
                    })
                .get(60, SECONDS);
      }
      out = captured.text();
    }
    assertThat(out)
        .contains("[worker-1 pid " + pid + "] first line from a task\n")
        .contains("[worker-1 pid " + pid + "] second line\n");
  }

  /**
   * A worker's rings share its standard output with what it prints: while this JVM's console
   * blocks, its results still come (up to a bound of waiting lines), and the lines are printed once
   * the console moves again.
   */
  @Test
  void resultsDoNotWaitForAConsoleThatBlocks() throws Exception {
    java.util.concurrent.CountDownLatch moves = new java.util.concurrent.CountDownLatch(1);
    String out;
    try (StdoutCapture console =
        new StdoutCapture(
            captured ->
                new java.io.FilterOutputStream(captured) {
                  @Override
                  public void write(int b) throws java.io.IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                  }

                  @Override
                  public void write(byte[] b, int off, int len) throws java.io.IOException {
                    try {
                      if (!moves.await(60, SECONDS)) {
                        throw new java.io.IOException("the test never let the console move");
                      }
                    } catch (InterruptedException e) {
                      throw new java.io.InterruptedIOException();
                    }
                    synchronized (captured) {
                      captured.write(b, off, len);
                    }
                  }
                })) {
      try (JobServer server = JobServer.processes(1)) {
        int printed =
            server
                .submit(
                    () -> {
                      for (int i = 0; i < 10; i++) {
                        System.out.println("line " + i);
                      }
                      return 10;
                    })
                .get(30, SECONDS);
        List<Integer> after = server.map(x -> x + 1, IntStream.range(0, 1000).boxed().toList(), 1);
        assertThat(printed).isEqualTo(10);
        assertThat(after).isEqualTo(IntStream.range(1, 1001).boxed().toList());
        moves.countDown();
      } finally {
        moves.countDown();
      }
      out = console.text();
    }
    for (int i = 0; i < 10; i++) {
      assertThat(out).contains("] line " + i + "\n");
    }
  }

  @Test
  void workerOptionsAreRefusedForOtherEnginesAndBadValuesAreNamed() {
    assertThatThrownBy(() -> JobServer.builder().threads(2).maxTasksPerWorker(5).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxTasksPerWorker: worker process options, but the engine is threads(2)");
    assertThatThrownBy(() -> JobServer.builder().maxTasksPerWorker(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxTasksPerWorker: 0 (expected: > 0)");
    assertThatThrownBy(() -> JobServer.builder().workerDirectory(tmp.resolve("missing")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: an existing directory");
    assertThatThrownBy(() -> JobServer.builder().workerJvmArgs("-Xmx1g").workerJvmArgs("-Xmx2g"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("workerJvmArgs: already set");
  }

  /** Ways a worker JVM dies in the middle of a task. */
  enum Crash {
    EXIT("exit code 9"),
    OUT_OF_MEMORY("OutOfMemoryError"),
    NATIVE_CRASH("A fatal error has been detected");

    final String expected;

    Crash(String expected) {
      this.expected = expected;
    }

    void happen() throws Exception {
      switch (this) {
        case EXIT -> System.exit(9);
        case OUT_OF_MEMORY -> {
          List<long[]> hog = new ArrayList<>();
          while (true) {
            hog.add(new long[1 << 20]);
          }
        }
        case NATIVE_CRASH -> {
          Class<?> unsafe = Class.forName("sun.misc.Unsafe");
          var f = unsafe.getDeclaredField("theUnsafe");
          f.setAccessible(true);
          unsafe // a write to address 0: SIGSEGV, and the JVM aborts
              .getMethod("putAddress", long.class, long.class)
              .invoke(f.get(null), 0L, 42L);
        }
        default -> throw new AssertionError(this);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Crash.class)
  void eachKindOfWorkerDeathFailsOnlyItsJobAfterItsAttempts(Crash crash) throws Exception {
    try (JobServer server =
        JobServer.builder()
            .processes(2)
            .maxAttempts(2)
            .workerJvmArgs(
                "-Xmx64m", "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + tmp + "/hs_err_%p.log")
            .build()) {
      List<Job<Integer>> jobs = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        jobs.add(
            server.submit(
                x -> {
                  if (x == 400) {
                    crash.happen();
                  }
                  return x * 2;
                },
                i));
      }
      for (int i = 0; i < jobs.size(); i++) {
        Job<Integer> job = jobs.get(i);
        if (i == 400) {
          assertThatThrownBy(() -> job.get(60, SECONDS))
              .cause()
              .isInstanceOf(WorkerCrashedException.class)
              .hasMessageContaining(crash.expected)
              .hasMessageContaining("attempts=2");
          assertThat(job.attempts()).isEqualTo(2);
        } else {
          assertThat(job.get(60, SECONDS)).as("job for input %d", i).isEqualTo(i * 2);
          assertThat(job.attempts()).as("attempts of input %d", i).isEqualTo(1);
        }
      }
      assertThat(server.submit(x -> x + 1, 1).get(60, SECONDS)).isEqualTo(2);
    }
  }
}
