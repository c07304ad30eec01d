package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every engine owes: each engine runs this suite unchanged through a subclass that
 * says how to make its server. Tasks coordinate through latches kept in {@link Gates}, so no test
 * waits on time.
 */
abstract class JobServerContractTest {
  static final int WORKERS = 4;
  JobServer server;

  /** A server of the engine under test with {@code workers} workers. */
  abstract JobServer newServer(int workers);

  @BeforeEach
  void start() {
    Gates.reset();
    server = newServer(WORKERS);
  }

  @AfterEach
  void stop() {
    Gates.openAll();
    server.shutdownNow();
    assertThat(awaitTermination(server)).as("server terminated").isTrue();
  }

  static boolean awaitTermination(JobServer s) {
    try {
      return s.awaitTermination(30, SECONDS);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  // ---- submit and get --------------------------------------------------------------------------

  @Test
  void submitRunsFunctionAndReportsWhereItRan() throws Exception {
    Job<Long> job = server.submit(x -> x * x, 12L);
    assertThat(job.get(10, SECONDS)).isEqualTo(144L);
    assertThat(job.id()).isPositive();
    assertThat(job.attempts()).isEqualTo(1);
    assertThat(job.ranOn()).startsWith(server.stats().backends().get(0).name() + "/");
    assertThat(job.queuedTime().isNegative()).isFalse();
    assertThat(job.runTime().isNegative()).isFalse();
    assertThat(job.server()).isSameAs(server);
    assertThat(job.toString()).contains("job " + job.id(), "completed");
  }

  @Test
  void submitRunsCallAndCheckedExceptionsFailOnlyTheirJob() throws Exception {
    Job<String> ok = server.submit(() -> "hello");
    Job<String> bad =
        server.submit(
            () -> {
              throw new IOException("disk on fire");
            });
    assertThat(ok.get(10, SECONDS)).isEqualTo("hello");
    assertThatThrownBy(() -> bad.get(10, SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(IOException.class)
        .hasMessage("disk on fire");
    assertThat(server.submit(() -> 1).get(10, SECONDS)).isEqualTo(1);
  }

  @Test
  void jobIdsAreUniqueAndIncreasing() {
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      jobs.add(server.submit(x -> x, i));
    }
    for (int i = 1; i < jobs.size(); i++) {
      assertThat(jobs.get(i).id()).isGreaterThan(jobs.get(i - 1).id());
    }
  }

  @Test
  void failingTasksAreIsolatedFromTheServerAndOtherJobs() throws Exception {
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      jobs.add(
          server.submit(
              x -> {
                if (x % 10 == 0) {
                  throw new IllegalStateException("bad input " + x);
                }
                if (x % 10 == 5) {
                  throw new StackOverflowError("deep " + x); // an Error fails its job alone too
                }
                return x + 1;
              },
              i));
    }
    for (int i = 0; i < jobs.size(); i++) {
      Job<Integer> job = jobs.get(i);
      if (i % 10 == 0) {
        assertThatThrownBy(() -> job.get(10, SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("bad input " + i);
      } else if (i % 10 == 5) {
        assertThatThrownBy(() -> job.get(10, SECONDS))
            .cause()
            .isInstanceOf(StackOverflowError.class);
      } else {
        assertThat(job.get(10, SECONDS)).isEqualTo(i + 1);
      }
    }
    assertThat(server.submit(x -> x * 2, 21).get(10, SECONDS)).isEqualTo(42);
  }

  // ---- bulk --------------------------------------------------------------------------------

  @Test
  void mapKeepsInputOrderForEveryChunkSize() {
    List<Integer> inputs = IntStream.range(0, 1000).boxed().toList();
    List<Integer> expected = inputs.stream().map(x -> x * 3).toList();
    assertThat(server.map(x -> x * 3, inputs)).isEqualTo(expected);
    for (int chunk : new int[] {1, 7, 1000, 5000}) {
      assertThat(server.map(x -> x * 3, inputs, chunk)).as("chunk %d", chunk).isEqualTo(expected);
    }
    assertThat(server.map(x -> x, List.of())).isEmpty();
  }

  @Test
  void mapThrowsTheFirstFailureInInputOrder() {
    List<Integer> inputs = IntStream.range(0, 100).boxed().toList();
    assertThatThrownBy(
            () ->
                server.map(
                    x -> {
                      if (x >= 50) {
                        throw new IllegalArgumentException("no " + x);
                      }
                      return x;
                    },
                    inputs,
                    1))
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no 50");
  }

  @Test
  void mapUnorderedYieldsResultsInCompletionOrder() {
    int n = WORKERS;
    Gates.create(n);
    Iterator<Integer> results =
        server
            .mapUnordered(
                i -> {
                  Gates.await(i);
                  return i;
                },
                IntStream.range(0, n).boxed().toList(),
                1,
                n)
            .iterator();
    for (int i : new int[] {2, 0, 3, 1}) {
      Gates.open(i);
      assertThat(results.next()).isEqualTo(i);
    }
    assertThat(results.hasNext()).isFalse();
  }

  @Test
  void mapUnorderedPullsInputsOnlyAsSlotsFreeUp() {
    AtomicLong pulled = new AtomicLong();
    Stream<Long> endless = Stream.iterate(0L, x -> x + 1).peek(x -> pulled.incrementAndGet());
    int maxInFlight = 8;
    int chunk = 3;
    try (Stream<Long> results = server.mapUnordered(x -> x * 2, endless, chunk, maxInFlight)) {
      List<Long> first = results.limit(1000).toList();
      assertThat(first).hasSize(1000).allMatch(x -> x % 2 == 0).doesNotHaveDuplicates();
    }
    // consumed 1000, plus at most maxInFlight chunks pulled ahead
    assertThat(pulled.get()).isBetween(1000L, 1000L + (long) maxInFlight * chunk);
  }

  @Test
  void mapUnorderedNeverRunsMoreThanMaxInFlightAtOnce() {
    int maxInFlight = 3;
    Gates.create(1);
    AtomicLong pulled = new AtomicLong();
    Stream<Integer> endless = Stream.iterate(0, x -> x + 1).peek(x -> pulled.incrementAndGet());
    CompletableFuture<List<Integer>> consumer =
        CompletableFuture.supplyAsync(
            () -> {
              try (Stream<Integer> s =
                  server.mapUnordered(
                      x -> {
                        Gates.await(0);
                        return x;
                      },
                      endless,
                      1,
                      maxInFlight)) {
                return s.limit(20).toList();
              }
            });
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> server.stats().active() == maxInFlight); // all slots taken
    assertThat(pulled.get()).isEqualTo(maxInFlight); // and no input pulled beyond them
    Gates.open(0);
    assertThat(consumer.join()).hasSize(20).doesNotHaveDuplicates();
  }

  @Test
  void mapUnorderedStreamThrowsTheTaskFailureAndCancelsTheRest() {
    Stream<Integer> results =
        server.mapUnordered(
            x -> {
              if (x == 5) {
                throw new IllegalStateException("five");
              }
              return x;
            },
            IntStream.range(0, 10).boxed().toList());
    assertThatThrownBy(() -> results.toList())
        .isInstanceOf(CompletionException.class)
        .cause()
        .hasMessage("five");
  }

  @Test
  void callbacksRunExactlyOnceEvenWhenTheyThrow() throws Exception {
    int n = 5000;
    AtomicInteger[] calls = new AtomicInteger[n];
    for (int i = 0; i < n; i++) {
      calls[i] = new AtomicInteger();
    }
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      jobs.add(
          server.submit(
              x -> {
                if (x % 100 == 0) {
                  throw new IllegalStateException("x");
                }
                return x;
              },
              i,
              (result, error) -> {
                calls[index].incrementAndGet();
                if (index % 7 == 0) {
                  throw new RuntimeException("callback failure must not matter");
                }
              }));
    }
    server.close();
    for (int i = 0; i < n; i++) {
      assertThat(calls[i].get()).as("callback of input %d", i).isEqualTo(1);
      assertThat(jobs.get(i).isCompletedExceptionally()).isEqualTo(i % 100 == 0);
    }
  }

  @Test
  void asyncStagesRunOnTheServersCallbackThreads() {
    String thread =
        server
            .submit(() -> 1)
            .thenApplyAsync(x -> Thread.currentThread().getName())
            .thenApplyAsync(name -> name) // a stage of a stage keeps the executor too
            .join();
    assertThat(thread).startsWith(server.name() + "-callback-");
  }

  // ---- cancel -------------------------------------------------------------------------------

  @Test
  void cancelInterruptsARunningTask() throws Exception {
    Gates.create(1);
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger interrupted = new AtomicInteger();
    Gates.onStart = started;
    Gates.interrupts = interrupted;
    Job<Integer> job =
        server.submit(
            () -> {
              Gates.started();
              try {
                return Gates.awaitInterruptibly(0);
              } catch (InterruptedException e) {
                Gates.interrupted();
                throw e;
              }
            });
    assertThat(started.await(30, SECONDS)).isTrue();
    assertThat(job.cancel(true)).isTrue();
    assertThat(job.isCancelled()).isTrue();
    assertThatThrownBy(job::join).isInstanceOf(CancellationException.class);
    await().atMost(Duration.ofSeconds(30)).until(() -> interrupted.get() == 1);
    assertThat(server.submit(() -> 5).get(30, SECONDS)).isEqualTo(5);
  }

  @Test
  void anInterruptATaskIgnoredDoesNotLeakIntoTheNextJob() throws Exception {
    server.setWorkers(1); // the later jobs queue behind the cancelled one, on the same worker
    Gates.create(1);
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger interrupted = new AtomicInteger();
    Gates.onStart = started;
    Gates.interrupts = interrupted;
    Job<Integer> ignores = // swallows the interrupt and returns with the flag still set
        server.submit(
            () -> {
              Gates.started();
              int r = Gates.await(0);
              // in a worker process the interrupt comes as a message, maybe after the gate
              long until = System.nanoTime() + SECONDS.toNanos(10);
              while (!Thread.currentThread().isInterrupted() && System.nanoTime() < until) {
                Thread.onSpinWait();
              }
              if (Thread.currentThread().isInterrupted()) {
                Gates.interrupted();
              }
              return r;
            });
    assertThat(started.await(30, SECONDS)).isTrue();
    assertThat(ignores.cancel(true)).isTrue();
    List<Job<Boolean>> later = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      later.add(server.submit(() -> Thread.currentThread().isInterrupted()));
    }
    Gates.open(0);
    await().atMost(Duration.ofSeconds(30)).until(() -> interrupted.get() == 1);
    for (Job<Boolean> j : later) {
      assertThat(j.get(10, SECONDS)).isFalse();
    }
  }

  @Test
  void cancelledQueuedJobNeverRuns() throws Exception {
    server.setWorkers(1);
    Gates.create(1);
    AtomicInteger ran = new AtomicInteger();
    Gates.interrupts = ran;
    Job<Integer> blocker = server.submit(() -> Gates.await(0));
    List<Job<Integer>> queued = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      queued.add(server.submit(() -> Gates.interrupted()));
    }
    queued.forEach(j -> j.cancel(false));
    Gates.open(0);
    blocker.get(30, SECONDS);
    assertThat(server.submit(() -> "after").get(30, SECONDS)).isEqualTo("after");
    assertThat(ran.get()).isZero();
    assertThat(queued).allMatch(Job::isCancelled);
  }

  /**
   * In a stream of short jobs a worker process is sent many jobs at once, so jobs submitted behind
   * one that blocks wait in the worker itself: cancelled there, they never run.
   */
  @Test
  void cancelledJobsWaitingBehindARunningOneNeverRun() throws Exception {
    server.setWorkers(1);
    Gates.create(1);
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger ran = new AtomicInteger();
    Gates.onStart = started;
    Gates.interrupts = ran;
    List<Job<Integer>> stream = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      stream.add(server.submit(x -> x + 1, i));
    }
    Job<Integer> blocker =
        server.submit(
            () -> {
              Gates.started();
              return Gates.await(0);
            });
    List<Job<Integer>> waiting = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      waiting.add(server.submit(() -> Gates.interrupted()));
    }
    assertThat(started.await(30, SECONDS)).isTrue();
    waiting.forEach(j -> j.cancel(false));
    Gates.open(0);
    blocker.get(30, SECONDS);
    assertThat(stream.get(1999).get(30, SECONDS)).isEqualTo(2000);
    assertThat(server.submit(() -> "after").get(30, SECONDS)).isEqualTo("after");
    assertThat(ran.get()).isZero();
    assertThat(waiting).allMatch(Job::isCancelled);
  }

  // ---- waiting -----------------------------------------------------------------------------

  @Test
  void waitForFirstCompletedReturnsAsSoonAsOneIsDone() {
    Gates.create(1);
    Job<Integer> blocked1 = server.submit(() -> Gates.await(0));
    Job<Integer> blocked2 = server.submit(() -> Gates.await(0));
    Job<Integer> quick = server.submit(() -> 7);
    WaitResult<Job<Integer>> r =
        JobServer.waitFor(List.of(blocked1, quick, blocked2), WaitMode.FIRST_COMPLETED);
    assertThat(r.done()).containsExactly(quick);
    assertThat(r.notDone()).containsExactly(blocked1, blocked2);
  }

  @Test
  void waitForFirstExceptionReturnsOnAFailureOrWhenAllAreDone() {
    Gates.create(1);
    Job<Integer> blocked = server.submit(() -> Gates.await(0));
    Job<Integer> ok = server.submit(() -> 1);
    ok.join();
    Job<Integer> bad =
        server.submit(
            () -> {
              throw new IllegalStateException("bad");
            });
    WaitResult<Job<Integer>> r =
        JobServer.waitFor(List.of(blocked, ok, bad), WaitMode.FIRST_EXCEPTION);
    assertThat(r.done()).containsExactly(ok, bad);
    assertThat(r.notDone()).containsExactly(blocked);

    List<Job<Integer>> fine = List.of(server.submit(() -> 1), server.submit(() -> 2));
    assertThat(JobServer.waitFor(fine, WaitMode.FIRST_EXCEPTION).done()).hasSize(2);
  }

  @Test
  void waitForAllCompletedAndTimeout() {
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      jobs.add(server.submit(x -> x, i));
    }
    WaitResult<Job<Integer>> r = JobServer.waitFor(jobs, WaitMode.ALL_COMPLETED);
    assertThat(r.done()).containsExactlyElementsOf(jobs);
    assertThat(r.notDone()).isEmpty();

    Gates.create(1);
    Job<Integer> blocked = server.submit(() -> Gates.await(0));
    long start = System.nanoTime();
    WaitResult<Job<Integer>> timedOut =
        JobServer.waitFor(List.of(blocked), WaitMode.ALL_COMPLETED, Duration.ofMillis(50));
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("waited for the timeout")
        .isGreaterThanOrEqualTo(Duration.ofMillis(50));
    assertThat(timedOut.notDone()).containsExactly(blocked);
    Gates.open(0);
    WaitResult<Job<Integer>> met =
        JobServer.waitFor(List.of(blocked), WaitMode.ALL_COMPLETED, Duration.ofMinutes(1));
    assertThat(met.done()).containsExactly(blocked); // returned when met, not at the timeout
  }

  @Test
  void asCompletedYieldsJobsInCompletionOrder() {
    Gates.create(3);
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      jobs.add(server.submit(Gates::await, i));
    }
    Iterator<Job<Integer>> order = JobServer.asCompleted(jobs).iterator();
    for (int i : new int[] {1, 2, 0}) {
      Gates.open(i);
      assertThat(order.next()).isSameAs(jobs.get(i));
    }
    assertThat(order.hasNext()).isFalse();
  }

  @Test
  void asCompletedTimesOut() {
    Gates.create(1);
    Job<Integer> blocked = server.submit(() -> Gates.await(0));
    Iterator<Job<Integer>> order =
        JobServer.asCompleted(List.of(blocked), Duration.ofMillis(20)).iterator();
    assertThatThrownBy(order::next)
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);
  }

  @Test
  void groupsAreAwaitedTogether() {
    JobGroup<Integer> squares = server.group("squares");
    JobGroup<Integer> cubes = server.group("cubes");
    for (int i = 0; i < 20; i++) {
      squares.submit(x -> x * x, i);
      cubes.submit(x -> x * x * x, i);
    }
    squares.await();
    assertThat(squares.jobs()).hasSize(20).allMatch(Job::isDone);
    assertThat(squares.results())
        .isEqualTo(IntStream.range(0, 20).map(x -> x * x).boxed().toList());
    assertThat(cubes.results())
        .isEqualTo(IntStream.range(0, 20).map(x -> x * x * x).boxed().toList());
    assertThat(squares.toString()).contains("squares", "jobs=20", "done=20");
  }

  // ---- workers ------------------------------------------------------------------------------

  @Test
  void setWorkersGrowsAtOnceAndShrinksWithoutInterruptingRunningJobs() throws Exception {
    server.setWorkers(1);
    Gates.create(1);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicInteger interrupted = new AtomicInteger();
    Gates.running = running;
    Gates.maxRunning = maxRunning;
    Gates.interrupts = interrupted;
    Task.Call<Integer> blocked =
        () -> {
          Gates.enter();
          try {
            return Gates.await(0);
          } finally {
            if (Thread.currentThread().isInterrupted()) {
              Gates.interrupted();
            }
            Gates.exit();
          }
        };
    List<Job<Integer>> first = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      first.add(server.submit(blocked));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> running.get() == 1);
    server.setWorkers(4); // grows at once for the queued jobs
    await().atMost(Duration.ofSeconds(30)).until(() -> running.get() == 4);
    assertThat(server.workers()).isEqualTo(4);

    server.setWorkers(1); // shrinks: the four running jobs go on
    assertThat(server.workers()).isEqualTo(1);
    Gates.open(0);
    for (Job<Integer> j : first) {
      assertThat(j.get(30, SECONDS)).isZero();
    }
    assertThat(interrupted.get()).isZero();

    Gates.create(1);
    maxRunning.set(0);
    List<Job<Integer>> second = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      second.add(server.submit(blocked));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> running.get() == 1);
    Gates.open(0);
    for (Job<Integer> j : second) {
      j.get(30, SECONDS);
    }
    assertThat(maxRunning.get()).as("jobs at once after shrinking to 1").isEqualTo(1);
  }

  @Test
  void setWorkersUnderLoadLosesAndRepeatsNothing() throws Exception {
    int n = 20_000;
    AtomicInteger[] runs = new AtomicInteger[n];
    for (int i = 0; i < n; i++) {
      runs[i] = new AtomicInteger();
    }
    Gates.runsPerInput = runs;
    CompletableFuture<Void> resizer =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 0; i < 200; i++) {
                server.setWorkers(1 + i % 6);
              }
            });
    List<Job<Integer>> jobs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      jobs.add(
          server.submit(
              x -> {
                Gates.ran(x);
                return x;
              },
              i));
    }
    resizer.join();
    server.setWorkers(WORKERS);
    for (int i = 0; i < n; i++) {
      assertThat(jobs.get(i).get(30, SECONDS)).isEqualTo(i);
    }
    for (int i = 0; i < n; i++) {
      assertThat(runs[i].get()).as("runs of input %d", i).isEqualTo(1);
    }
  }

  // ---- contention -----------------------------------------------------------------------------

  @Test
  void hundredThousandJobsFromEightThreadsAllRunOnce() throws Exception {
    int threads = 8;
    int perThread = 12_500;
    ConcurrentHashMap<Long, Boolean> seen = new ConcurrentHashMap<>();
    Gates.seen = seen;
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<List<Job<Long>>>> submitters = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long base = (long) t * perThread;
      submitters.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  throw new CompletionException(e);
                }
                List<Job<Long>> jobs = new ArrayList<>(perThread);
                for (long i = base; i < base + perThread; i++) {
                  jobs.add(
                      server.submit(
                          x -> {
                            if (!Gates.firstRun(x)) {
                              throw new AssertionError("ran twice: " + x);
                            }
                            return x;
                          },
                          i));
                }
                return jobs;
              },
              r -> new Thread(r).start()));
    }
    go.countDown();
    long sum = 0;
    for (CompletableFuture<List<Job<Long>>> s : submitters) {
      for (Job<Long> job : s.get(60, SECONDS)) {
        sum += job.get(60, SECONDS);
      }
    }
    long total = (long) threads * perThread;
    assertThat(sum).isEqualTo(LongStream.range(0, total).sum());
    assertThat(seen).hasSize((int) total);
    server.close();
    Stats stats = server.stats();
    assertThat(stats.jobsRun()).isEqualTo(total);
    assertThat(stats.completed()).isEqualTo(total);
    assertThat(stats.active()).isZero();
  }

  // ---- stats ---------------------------------------------------------------------------------

  @Test
  void statsCountTheJobsRun() {
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      jobs.add(server.submit(x -> x, i));
    }
    server.map(x -> x, IntStream.range(0, 100).boxed().toList(), 10); // 10 jobs
    server.close();
    Stats stats = server.stats();
    assertThat(stats.jobsRun()).isEqualTo(310);
    assertThat(stats.completed()).isEqualTo(310);
    assertThat(stats.backends()).hasSize(1);
    Stats.Backend row = stats.backends().get(0);
    assertThat(row.jobs()).isEqualTo(310);
    assertThat(row.percent()).isEqualTo(100.0);
    // the total is the jobs' own run times (the map's ten included), within the workers' uptime
    Duration submitted = jobs.stream().map(Job::runTime).reduce(Duration.ZERO, Duration::plus);
    assertThat(row.totalTime()).isGreaterThanOrEqualTo(submitted);
    assertThat(row.totalTime())
        .isLessThanOrEqualTo(stats.uptime().multipliedBy(Math.min(stats.workers(), 310)));
    assertThat(stats.toString())
        .contains("Job execution statistics of " + server.name(), row.name(), "310", "100.00");
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  @Test
  void closeWaitsForAcceptedJobsAndThenRejects() {
    Gates.create(1);
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      jobs.add(server.submit(() -> Gates.await(0)));
    }
    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
    await().atMost(Duration.ofSeconds(30)).until(server::isShutdown);
    assertThat(closing).isNotDone();
    assertThatThrownBy(() -> server.submit(() -> 1))
        .isInstanceOf(RejectedExecutionException.class)
        .hasMessageMatching(
            server.name()
                + ": job server is shut down \\(workers=\\w+, active=10, queued=\\d+,"
                + " completed=0\\)");
    Gates.open(0);
    closing.join();
    assertThat(server.isTerminated()).isTrue();
    assertThat(jobs).allMatch(j -> j.join() == 0);
  }

  @Test
  void shutdownNowCancelsQueuedJobsAndInterruptsRunningOnes() throws Exception {
    server.setWorkers(2);
    Gates.create(1);
    Gates.interrupts = new AtomicInteger();
    Gates.onStart = new CountDownLatch(2);
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      jobs.add(
          server.submit(
              () -> {
                try {
                  Gates.started();
                  return Gates.awaitInterruptibly(0);
                } catch (InterruptedException e) {
                  Gates.interrupted();
                  throw e;
                }
              }));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().queued() == 8);
    assertThat(Gates.onStart.await(30, SECONDS)).as("two tasks running").isTrue();
    List<Runnable> neverRun = server.shutdownNow();
    assertThat(neverRun).hasSize(8);
    assertThat(server.awaitTermination(30, SECONDS)).isTrue();
    assertThat(jobs).allMatch(Job::isCancelled);
    assertThat(Gates.interrupts.get()).as("running tasks interrupted").isEqualTo(2);
    assertThatThrownBy(() -> server.submit(() -> 1)).isInstanceOf(RejectedExecutionException.class);
  }

  @Test
  void closeOfAnIdleServerEndsAllItsThreads() {
    for (int i = 0; i < 100; i++) {
      server.submit(x -> x, i);
    }
    server.close();
    assertThat(server.isTerminated()).isTrue();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().startsWith(server.name() + "-")));
  }

  // ---- ExecutorService -----------------------------------------------------------------------

  @Test
  void worksAsAnExecutorService() throws Exception {
    List<Callable<Integer>> tasks = new ArrayList<>(); // serializable, for worker processes
    for (int i = 0; i < 10; i++) {
      int x = i;
      tasks.add((Callable<Integer> & Serializable) () -> x * 10);
    }
    List<Future<Integer>> all = server.invokeAll(tasks);
    List<Integer> values = new ArrayList<>();
    for (Future<Integer> f : all) {
      values.add(f.get());
    }
    assertThat(values).isEqualTo(IntStream.range(0, 10).map(x -> x * 10).boxed().toList());
    assertThat(server.invokeAny(tasks)).isIn(values);

    CountDownLatch ran = new CountDownLatch(1);
    Gates.onStart = ran;
    server.execute((Runnable & Serializable) Gates::started);
    assertThat(ran.await(30, SECONDS)).isTrue();
    assertThat(server.submit((Runnable & Serializable) () -> {}, "done").get(30, SECONDS))
        .isEqualTo("done");

    List<Callable<Integer>> failing =
        List.of(
            (Callable<Integer> & Serializable)
                () -> {
                  throw new IOException("a");
                },
            (Callable<Integer> & Serializable)
                () -> {
                  throw new IOException("b");
                });
    assertThatThrownBy(() -> server.invokeAny(failing))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IOException.class);
  }

  // ---- the JDK's contracts to the letter ------------------------------------------------------

  /** A task that waits for gate 0, after it says it started; interrupts end the wait. */
  private static Callable<Integer> waitingForGateZero() {
    return (Callable<Integer> & Serializable)
        () -> {
          Gates.started();
          return Gates.awaitInterruptibly(0);
        };
  }

  /**
   * Interrupted while it waits, the timed {@code invokeAll} throws {@code InterruptedException} and
   * cancels what it submitted, as {@link java.util.concurrent.ExecutorService} says; it used to
   * return normally with the flag set.
   */
  @Test
  void timedInvokeAllThrowsWhenItsCallerIsInterrupted() throws Exception {
    server.setWorkers(1);
    Gates.create(1);
    CountDownLatch started = new CountDownLatch(1);
    Gates.onStart = started;
    List<Callable<Integer>> tasks = List.of(waitingForGateZero(), waitingForGateZero());
    Thread caller = Thread.currentThread();
    Thread interrupter =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    if (started.await(30, SECONDS)) {
                      caller.interrupt();
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    try {
      assertThatThrownBy(() -> server.invokeAll(tasks, 1, java.util.concurrent.TimeUnit.MINUTES))
          .isInstanceOf(InterruptedException.class);
    } finally {
      interrupter.join();
      Thread.interrupted(); // whatever the outcome, the next test's thread starts clean
    }
    // both were cancelled: the one worker is free again without the gate ever opening
    assertThat(server.submit(() -> 7).get(30, SECONDS)).isEqualTo(7);
  }

  /** Interrupted before it starts waiting, the timed {@code invokeAll} throws at once too. */
  @Test
  void timedInvokeAllOfAnInterruptedCallerThrowsAndCancels() throws Exception {
    server.setWorkers(1);
    Gates.create(1);
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(
              () ->
                  server.invokeAll(
                      List.of(waitingForGateZero()), 1, java.util.concurrent.TimeUnit.MINUTES))
          .isInstanceOf(InterruptedException.class);
    } finally {
      Thread.interrupted();
    }
    assertThat(server.submit(() -> 7).get(30, SECONDS)).isEqualTo(7);
  }

  /**
   * A task that throws {@code CancellationException} has failed, not been cancelled: {@code get()}
   * throws {@code ExecutionException} with it as the cause and {@code isCancelled()} is false, as
   * for the JDK's pools ({@code FutureTask}). The job used to look cancelled.
   */
  @Test
  void aTaskThatThrowsCancellationExceptionFailsWithoutLookingCancelled() throws Exception {
    Job<Integer> job =
        server.submit(
            () -> {
              throw new CancellationException("thrown by the task");
            });
    assertThatThrownBy(() -> job.get(30, SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(CancellationException.class)
        .hasMessage("thrown by the task");
    assertThat(job.isCancelled()).isFalse();
    assertThat(job.isCompletedExceptionally()).isTrue();
    assertThat(job.state()).isEqualTo(Future.State.FAILED);
    assertThat(job.exceptionNow()).hasMessage("thrown by the task");
    assertThatThrownBy(job::join)
        .isInstanceOf(CompletionException.class)
        .cause()
        .hasMessage("thrown by the task");
    assertThat(job.cancel(true)).as("a failed job cannot be cancelled").isFalse();
    assertThat(job.toString()).contains("failed");
  }

  /**
   * A {@code CompletionException} a task throws is its job's cause as thrown, not unwrapped to the
   * exception inside it. It used to be unwrapped.
   */
  @Test
  void aTaskThatThrowsCompletionExceptionHasItAsTheCause() throws Exception {
    Job<Integer> job =
        server.submit(
            () -> {
              throw new CompletionException("outer", new IOException("inner"));
            });
    assertThatThrownBy(() -> job.get(30, SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(CompletionException.class)
        .hasMessage("outer")
        .cause()
        .isInstanceOf(IOException.class)
        .hasMessage("inner");
  }

  /**
   * A {@code null} among the tasks of {@code invokeAll} or {@code invokeAny} throws {@code
   * NullPointerException} and leaves nothing of that call running; the tasks before it used to run
   * on. With one worker, a task left waiting for the gate (which never opens) would hold it.
   */
  @Test
  void aNullAmongTheTasksOfInvokeAllOrInvokeAnyLeavesNoneRunning() throws Exception {
    server.setWorkers(1);
    Gates.create(1);
    List<Callable<Integer>> tasks = java.util.Arrays.asList(waitingForGateZero(), null);
    assertThatThrownBy(() -> server.invokeAll(tasks))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tasks contains null");
    assertThatThrownBy(() -> server.invokeAll(tasks, 1, java.util.concurrent.TimeUnit.MINUTES))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> server.invokeAny(tasks)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> server.invokeAny(tasks, 1, java.util.concurrent.TimeUnit.MINUTES))
        .isInstanceOf(NullPointerException.class);
    assertThat(server.submit(() -> 7).get(30, SECONDS)).isEqualTo(7);
    assertThat(server.stats().completed()).as("only the last job ran").isEqualTo(1);
  }

  /** {@code invokeAny} whose every task was cancelled throws {@code ExecutionException}. */
  @Test
  void invokeAnyReportsAllFailedAsExecutionExceptionEvenForCancellations() {
    List<Callable<Integer>> tasks =
        List.of(
            (Callable<Integer> & Serializable)
                () -> {
                  throw new CancellationException("a");
                },
            (Callable<Integer> & Serializable)
                () -> {
                  throw new CancellationException("b");
                });
    assertThatThrownBy(() -> server.invokeAny(tasks))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(CancellationException.class);
  }

  // ---- misuse ----------------------------------------------------------------------------------

  @Test
  void nullsAndBadArgumentsAreNamed() {
    assertThatThrownBy(() -> server.submit((Task.Fn<Integer, Integer>) null, 1))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("fn");
    assertThatThrownBy(() -> server.submit((Task.Call<Integer>) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("task");
    assertThatThrownBy(() -> server.map(x -> x, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("inputs");
    assertThatThrownBy(() -> server.map(x -> x, List.of(1), -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("chunkSize: -1 (expected: >= 0, where 0 lets the server choose)");
    assertThatThrownBy(() -> server.setWorkers(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("workers: 0 (expected: > 0)");
    assertThatThrownBy(() -> server.group(null)).isInstanceOf(NullPointerException.class);
  }
}
