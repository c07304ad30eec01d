package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code JobServer.virtualThreads()} with no limit hands each job to a thread of its own and keeps
 * no worker count; the contract suite covers the bounded mode, these tests what differs.
 */
class UnboundedVirtualThreadsTest {
  private final JobServer server = JobServer.virtualThreads();

  @AfterEach
  void stop() throws InterruptedException {
    server.shutdownNow();
    assertThat(server.awaitTermination(30, SECONDS)).isTrue();
  }

  @Test
  void runsEveryJobAtOnce() throws Exception {
    int n = 2000; // all must be running together to pass the barrier
    CyclicBarrier barrier = new CyclicBarrier(n);
    List<Job<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      jobs.add(server.submit(x -> barrier.await(60, SECONDS) * 0 + x, i));
    }
    for (int i = 0; i < n; i++) {
      assertThat(jobs.get(i).get(60, SECONDS)).isEqualTo(i);
    }
    assertThat(server.stats().jobsRun()).isEqualTo(n);
  }

  @Test
  void refusesToChangeItsWorkerCount() {
    assertThatThrownBy(() -> server.setWorkers(4))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("virtualThreads(n)");
  }

  @Test
  void shutdownNowInterruptsRunningJobsAndCloseEndsEveryThread() throws Exception {
    CountDownLatch started = new CountDownLatch(50);
    AtomicInteger interrupted = new AtomicInteger();
    CountDownLatch never = new CountDownLatch(1);
    List<Job<Object>> jobs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      jobs.add(
          server.submit(
              () -> {
                started.countDown();
                try {
                  never.await();
                } catch (InterruptedException e) {
                  interrupted.incrementAndGet();
                  throw e;
                }
                return null;
              }));
    }
    assertThat(started.await(30, SECONDS)).isTrue();
    server.shutdownNow();
    assertThat(server.awaitTermination(30, SECONDS)).isTrue();
    assertThat(jobs).allMatch(Job::isCancelled);
    await().atMost(Duration.ofSeconds(30)).until(() -> interrupted.get() == 50);
  }

  @Test
  void closeWaitsForRunningJobs() {
    CountDownLatch release = new CountDownLatch(1);
    Job<Integer> job =
        server.submit(
            () -> {
              release.await();
              return 7;
            });
    Thread closer = Thread.ofPlatform().start(server::close);
    await().atMost(Duration.ofSeconds(30)).until(server::isShutdown);
    assertThat(server.isTerminated()).isFalse();
    release.countDown();
    await().atMost(Duration.ofSeconds(30)).until(server::isTerminated);
    assertThat(job.join()).isEqualTo(7);
    await().atMost(Duration.ofSeconds(30)).until(() -> !closer.isAlive());
  }
}
