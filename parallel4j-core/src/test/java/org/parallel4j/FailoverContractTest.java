package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every backend that can lose a worker owes, run unchanged through a subclass per backend: the
 * server, not the backend, re-runs a lost worker's jobs. Workers are killed and frozen for real
 * (SIGKILL and SIGSTOP for processes). Tasks report where they run through {@link Gates#at}, so
 * each test kills exactly the worker that holds its job, and no test waits on time.
 */
abstract class FailoverContractTest {
  JobServer server;

  /** A server of the backend under test alone, with {@code workers} workers. */
  abstract JobServer newServer(int workers, int maxAttempts);

  /** The name the backend under test shows in stats and failures. */
  abstract String backendName();

  /** Kills worker {@code worker} (a pid or a simulated id) for real. */
  abstract void kill(long worker) throws Exception;

  /** Freezes worker {@code worker}: it runs and reports nothing more. */
  abstract void freeze(long worker) throws Exception;

  /** Lets a frozen worker go on, if it still exists (after a failed test). */
  abstract void thaw(long worker) throws Exception;

  /** The worker the calling task runs on: a simulated worker's id, else this JVM's pid. */
  static long here() {
    return SimulatedBackend.currentWorker().orElse(ProcessHandle.current().pid());
  }

  private final List<Long> frozen = new ArrayList<>();

  @BeforeEach
  void resetGates() {
    Gates.reset();
    Gates.create(2);
    Gates.seen = new ConcurrentHashMap<>();
    Gates.interrupts = new AtomicInteger();
  }

  @AfterEach
  void stop() throws Exception {
    Gates.openAll();
    for (long w : frozen) {
      thaw(w);
    }
    if (server != null) {
      server.shutdownNow();
      assertThat(server.awaitTermination(60, SECONDS)).as("server terminated").isTrue();
    }
  }

  /**
   * Waits until the task tagged {@code tag} has reported its {@code attempt}-th run; its worker.
   */
  static long awaitRun(int tag, int attempt) {
    await().atMost(Duration.ofSeconds(60)).until(() -> Gates.where(tag).size() >= attempt);
    return Gates.where(tag).get(attempt - 1);
  }

  @Test
  void aJobWhoseWorkerIsLostWhileItRunsRunsAgainAndCountsTheAttempt() throws Exception {
    server = newServer(2, 3);
    Job<String> job =
        server.submit(
            () -> {
              Gates.at(1, here());
              if (Gates.firstRun(1)) {
                Gates.await(0); // held until its worker is killed
                return "first";
              }
              return "again";
            });
    kill(awaitRun(1, 1));
    assertThat(job.get(60, SECONDS)).isEqualTo("again");
    assertThat(job.attempts()).isEqualTo(2);
    assertThat(job.ranOn()).startsWith(backendName() + "/");
    assertThat(server.submit(x -> x + 1, 41).get(60, SECONDS)).isEqualTo(42);
  }

  @Test
  void aJobLostOnEveryAttemptFailsNamingTheBackendWorkerAndAttempts() throws Exception {
    server = newServer(2, 2);
    Job<String> job =
        server.submit(
            () -> {
              Gates.at(2, here());
              Gates.await(0);
              return "never";
            });
    kill(awaitRun(2, 1));
    kill(awaitRun(2, 2));
    assertThatThrownBy(() -> job.get(60, SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(WorkerCrashedException.class)
        .hasMessageContaining(backendName() + "/")
        .hasMessageContaining("attempts=2")
        .satisfies(
            e -> {
              WorkerCrashedException crash = (WorkerCrashedException) e;
              assertThat(crash.backend()).isEqualTo(backendName());
              assertThat(crash.attempts()).isEqualTo(2);
              assertThat(crash.worker()).isNotBlank();
            });
    assertThat(job.attempts()).isEqualTo(2);
    assertThat(Gates.where(2)).hasSize(2);
    Stats.Outcomes counted = server.stats().outcomes();
    assertThat(counted.submitted()).isEqualTo(1);
    assertThat(counted.failed()).isEqualTo(1);
    assertThat(counted.retried())
        .as("the first loss ran it again, the second failed it")
        .isEqualTo(1);
    assertThat(counted.workerLosses().values().stream().mapToLong(Long::longValue).sum())
        .as("workers lost, over all causes: %s", counted.workerLosses())
        .isEqualTo(2);
    assertThat(server.submit(x -> x * 2, 21).get(60, SECONDS)).isEqualTo(42);
  }

  /**
   * Jobs queued inside a worker behind one it runs go back when it is lost, without counting an
   * attempt, and each runs exactly once.
   */
  @Test
  void jobsWaitingInALostWorkersPipelineRunOnceElsewhereUncounted() throws Exception {
    server = newServer(1, 3);
    int n = 20;
    Gates.runsPerInput =
        IntStream.range(0, n).mapToObj(i -> new AtomicInteger()).toArray(AtomicInteger[]::new);
    // quick jobs first, so that the worker's window grows past one job
    server.map(x -> x + 1, IntStream.range(0, 500).boxed().toList(), 1);
    Job<String> blocker =
        server.submit(
            () -> {
              Gates.at(3, here());
              if (Gates.firstRun(3)) {
                Gates.await(0);
              }
              return "blocker";
            });
    List<Job<Integer>> behind = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      behind.add(
          server.submit(
              x -> {
                Gates.ran(x);
                return x * 10;
              },
              i));
    }
    kill(awaitRun(3, 1));
    assertThat(blocker.get(60, SECONDS)).isEqualTo("blocker");
    assertThat(blocker.attempts()).isEqualTo(2);
    for (int i = 0; i < n; i++) {
      assertThat(behind.get(i).get(60, SECONDS)).isEqualTo(i * 10);
      assertThat(behind.get(i).attempts()).as("attempts of job %d", i).isEqualTo(1);
      assertThat(Gates.runsPerInput[i].get()).as("runs of input %d", i).isEqualTo(1);
    }
  }

  /** A worker given up for lost that reports after all: the job completes once, with the rerun. */
  @Test
  void anOutcomeFromAWorkerAlreadyLostIsDroppedAndTheJobCompletesOnce() throws Exception {
    server = newServer(2, 3);
    AtomicInteger completions = new AtomicInteger();
    Job<String> job =
        server.submit(
            () -> {
              Gates.at(4, here());
              if (Gates.firstRun(4)) {
                Gates.await(0);
                return "late";
              }
              return "rerun";
            });
    job.whenComplete((result, error) -> completions.incrementAndGet());
    kill(awaitRun(4, 1));
    assertThat(job.get(60, SECONDS)).isEqualTo("rerun");
    Gates.open(0); // where the lost worker still runs, its task now returns "late"
    awaitLateOutcomes(1);
    assertThat(server.submit(() -> "after").get(60, SECONDS)).isEqualTo("after");
    assertThat(job.join()).isEqualTo("rerun");
    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().active() == 0);
    assertThat(completions.get()).isEqualTo(1);
    assertThat(server.stats().completed()).isEqualTo(server.stats().jobsRun());
  }

  /** Where a lost worker's task can still report (a test backend), waits until it has. */
  void awaitLateOutcomes(int n) {}

  @Test
  void aJobPastItsDeadlineFailsWithoutARetryAndNothingElseIsDisturbed() throws Exception {
    server = newServer(2, 3);
    Job<String> runaway =
        server.submit(
            () -> {
              Gates.at(5, here());
              Gates.await(0); // ignores interrupts: only stopping its worker ends it
              return "late";
            },
            Duration.ofMillis(300));
    java.util.concurrent.CompletableFuture<String> calledOn =
        new java.util.concurrent.CompletableFuture<>();
    runaway.whenComplete((r, e) -> calledOn.complete(Thread.currentThread().getName()));
    List<Job<Integer>> others = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      others.add(server.submit(x -> x + 1, i));
    }
    assertThatThrownBy(() -> runaway.get(60, SECONDS))
        .cause()
        .isInstanceOf(TaskTimeoutException.class)
        .hasMessageContaining("job " + runaway.id() + " ran past its deadline of 300 ms and");
    assertThat(runaway.attempts()).isEqualTo(1);
    assertThat(calledOn.get(60, SECONDS)).as("callbacks off the timer").doesNotEndWith("-timer");
    for (int i = 0; i < others.size(); i++) {
      assertThat(others.get(i).get(60, SECONDS)).isEqualTo(i + 1);
    }
    assertThat(Gates.where(5)).hasSize(1);
  }

  @Test
  void aFrozenWorkerPastTheDeadlineIsStoppedAndTheServerGoesOn() throws Exception {
    server = newServer(2, 3);
    Job<String> job =
        server.submit(
            () -> {
              Gates.at(6, here());
              Gates.await(1);
              return "thawed";
            },
            Duration.ofMillis(500));
    long worker = awaitRun(6, 1);
    frozen.add(worker);
    freeze(worker);
    Gates.open(1); // a frozen worker cannot see it
    assertThatThrownBy(() -> job.get(60, SECONDS))
        .as("job %s, run on workers %s, worker %d frozen", job, Gates.where(6), worker)
        .cause()
        .isInstanceOf(TaskTimeoutException.class)
        .hasMessageContaining("ran past its deadline of 500 ms");
    List<Job<Integer>> after = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      after.add(server.submit(x -> x * 3, i));
    }
    for (int i = 0; i < after.size(); i++) {
      assertThat(after.get(i).get(60, SECONDS)).isEqualTo(i * 3);
    }
  }

  /**
   * Jobs cancelled with interruption while they wait behind a running one inside the worker never
   * run, and the cancel returns: a backend may end such a job from within the cancel itself.
   */
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void jobsCancelledWhileTheyWaitInAWorkersPipelineNeverRun() throws Exception {
    server = newServer(1, 3);
    int n = 10;
    Gates.runsPerInput =
        IntStream.range(0, n).mapToObj(i -> new AtomicInteger()).toArray(AtomicInteger[]::new);
    server.map(x -> x + 1, IntStream.range(0, 500).boxed().toList(), 1); // a window of many
    // the worker is busy while the rest queue, so that it takes them together once it is free
    Job<String> first =
        server.submit(
            () -> {
              Gates.at(10, here());
              Gates.await(1);
              return "first";
            });
    awaitRun(10, 1);
    Job<String> blocker =
        server.submit(
            () -> {
              Gates.at(9, here());
              Gates.await(0);
              return "blocker";
            });
    List<Job<Integer>> behind = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      behind.add(
          server.submit(
              x -> {
                Gates.ran(x);
                return x;
              },
              i));
    }
    Gates.open(1);
    assertThat(first.get(60, SECONDS)).isEqualTo("first");
    awaitRun(9, 1);
    behind.forEach(job -> job.cancel(true));
    Gates.open(0);
    assertThat(blocker.get(60, SECONDS)).isEqualTo("blocker");
    assertThat(server.submit(() -> "after").get(60, SECONDS)).isEqualTo("after");
    assertThat(behind).allMatch(Job::isCancelled);
    for (int i = 0; i < n; i++) {
      assertThat(Gates.runsPerInput[i].get()).as("runs of input %d", i).isZero();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().active() == 0);
  }

  /** A job cancelled while it runs is not run again when its worker is then lost. */
  @Test
  void aCancelledJobIsNotRunAgainWhenItsWorkerIsLost() throws Exception {
    server = newServer(2, 3);
    Job<String> job =
        server.submit(
            () -> {
              Gates.at(7, here());
              Gates.await(0); // ignores the interrupt
              return "done";
            });
    long worker = awaitRun(7, 1);
    assertThat(job.cancel(true)).isTrue();
    kill(worker);
    List<Job<Integer>> after = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      after.add(server.submit(x -> x - 1, i));
    }
    for (int i = 0; i < after.size(); i++) {
      assertThat(after.get(i).get(60, SECONDS)).isEqualTo(i - 1);
    }
    assertThat(job.isCancelled()).isTrue();
    assertThat(Gates.where(7)).hasSize(1);
    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().active() == 0);
  }

  /**
   * Run time counts from when a job starts on its worker, not from when it was sent there: jobs
   * that waited behind a long one in the worker's pipeline did not run meanwhile.
   */
  @Test
  void runTimeCountsFromTheStartNotFromTheSendingAndNeverExceedsTheWorkersUptime()
      throws Exception {
    server = newServer(1, 3);
    server.map(x -> x + 1, IntStream.range(0, 500).boxed().toList(), 1); // a window of many
    Job<String> blocker =
        server.submit(
            () -> {
              Gates.at(8, here());
              Gates.await(0);
              return "long";
            });
    List<Job<Integer>> behind = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      behind.add(server.submit(x -> x, i));
    }
    awaitRun(8, 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> blocker.runTime().toMillis() >= 300);
    Gates.open(0);
    assertThat(blocker.get(60, SECONDS)).isEqualTo("long");
    for (Job<Integer> job : behind) {
      job.get(60, SECONDS);
      assertThat(job.runTime()).as("%s", job).isLessThan(blocker.runTime().dividedBy(2));
    }
    Stats stats = server.stats();
    Duration total = stats.backends().get(0).totalTime();
    assertThat(total).isLessThanOrEqualTo(stats.uptime().multipliedBy(stats.workers()));
  }
}
