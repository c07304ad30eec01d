package org.parallel4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JobServerBuilderTest {
  @Test
  void badSettingsAreRefusedWithTheOptionAndValue() {
    assertThatThrownBy(() -> JobServer.threads(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("workers: 0 (expected: > 0)");
    assertThatThrownBy(() -> JobServer.builder().virtualThreads(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConcurrent: -3 (expected: > 0)");
    assertThatThrownBy(() -> JobServer.builder().threads(2).virtualThreads())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("engine: already set to threads(2)");
    assertThatThrownBy(() -> JobServer.builder().name("a").name("b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("name: already set to a");
    assertThatThrownBy(() -> JobServer.builder().name(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name: \" \" (expected: not blank)");
    assertThatThrownBy(() -> JobServer.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("engine: not set");
    assertThatThrownBy(() -> JobServer.builder().ticker(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker");
  }

  @Test
  void namesThreadsAfterTheServer() {
    try (JobServer server = JobServer.builder().name("crawler").threads(2).build()) {
      assertThat(server.submit(() -> Thread.currentThread().getName()).join())
          .startsWith("crawler-worker-");
      assertThat(server.name()).isEqualTo("crawler");
      assertThat(server.toString()).startsWith("crawler: running (workers=2, active=");
      assertThat(server.toString()).endsWith(", queued=0, completed=1)");
    }
    try (JobServer server = JobServer.builder().name("io").virtualThreads().build()) {
      assertThat(server.submit(() -> Thread.currentThread().isVirtual()).join()).isTrue();
      assertThat(server.workers()).isEqualTo(Integer.MAX_VALUE);
      assertThat(server.stats().toString()).contains("unbounded");
    }
  }

  @Test
  void jobTimingsAndUptimeFollowTheTicker() throws Exception {
    AtomicLong now = new AtomicLong(1_000);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (JobServer server = JobServer.builder().threads(1).ticker(now::get).build()) {
      now.addAndGet(Duration.ofMillis(5).toNanos()); // 5 ms queued before it starts
      Job<Integer> job =
          server.submit(
              () -> {
                started.countDown();
                release.await();
                return 1;
              });
      started.await();
      now.addAndGet(Duration.ofMillis(30).toNanos()); // runs for 30 ms
      release.countDown();
      job.join();
      server.shutdown();
      assertThat(server.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(job.queuedTime()).isEqualTo(Duration.ZERO);
      assertThat(job.runTime()).isEqualTo(Duration.ofMillis(30));
      Stats stats = server.stats();
      assertThat(stats.uptime()).isEqualTo(Duration.ofMillis(35));
      assertThat(stats.backends().get(0).totalTime()).isEqualTo(Duration.ofMillis(30));
    }
  }

  @Test
  void aJobPastItsDeadlineFailsAndItsThreadIsInterrupted() throws Exception {
    java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch interrupted = new java.util.concurrent.CountDownLatch(1);
    try (JobServer server =
        JobServer.builder().threads(2).taskDeadline(Duration.ofMillis(100)).build()) {
      Job<Integer> stuck =
          server.submit(
              () -> {
                try {
                  never.await();
                } catch (InterruptedException e) {
                  interrupted.countDown();
                  throw e;
                }
                return 1;
              });
      assertThatThrownBy(stuck::join)
          .isInstanceOf(java.util.concurrent.CompletionException.class)
          .cause()
          .isInstanceOf(TaskTimeoutException.class)
          .hasMessageContaining("ran past its deadline of 100 ms and its thread was interrupted");
      assertThat(interrupted.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(server.submit(x -> x + 1, 1, Duration.ofSeconds(30)).join()).isEqualTo(2);
    }
    assertThatThrownBy(() -> JobServer.builder().taskDeadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deadline: PT0S (expected: > 0)");
  }
}
