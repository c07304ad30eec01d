package org.parallel4j.micrometer;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.Stats;

/** Micrometer's values against {@code stats()} after a known run, and a Prometheus scrape. */
class JobServerMetricsTest {
  static final CountDownLatch HOLD = new CountDownLatch(1);

  private static double losses(MeterRegistry r, String cause) {
    return r.get("parallel4j.worker.losses").tag("cause", cause).functionCounter().count();
  }

  private static double count(MeterRegistry r, String name) {
    return r.get(name).functionCounter().count();
  }

  @Test
  void theMetersAgreeWithStatsAfterAKnownRun() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (JobServer server = JobServer.builder().threads(1).name("metrics-a").build()) {
      new JobServerMetrics(server, List.of(Tag.of("app", "test"))).bindTo(registry);
      for (int i = 0; i < 10; i++) {
        assertThat(server.submit(x -> x + 1, i).get(30, SECONDS)).isEqualTo(i + 1);
      }
      Job<Integer> bad =
          server.submit(
              x -> {
                throw new IllegalStateException("no " + x);
              },
              1);
      assertThatThrownBy(() -> bad.get(30, SECONDS)).isInstanceOf(ExecutionException.class);
      Job<Integer> blocker =
          server.submit(
              () -> {
                HOLD.await();
                return 0;
              });
      Job<Integer> queued = server.submit(x -> x, 2); // waits behind the blocker: 1 worker
      assertThat(queued.cancel(false)).isTrue();
      try {
        assertThat(registry.get("parallel4j.jobs.active").gauge().value())
            .as("the blocker, and the cancelled job until a worker drops it")
            .isEqualTo((double) server.stats().active())
            .isBetween(1.0, 2.0);
      } finally {
        HOLD.countDown();
      }
      blocker.get(30, SECONDS);
      server.shutdown();
      assertThat(server.awaitTermination(30, SECONDS)).isTrue();

      Stats stats = server.stats();
      assertThat(count(registry, "parallel4j.jobs.submitted")).isEqualTo(13.0);
      assertThat(count(registry, "parallel4j.jobs.completed"))
          .isEqualTo((double) stats.completed())
          .isEqualTo(13.0);
      assertThat(count(registry, "parallel4j.jobs.failed")).isEqualTo(1.0);
      assertThat(count(registry, "parallel4j.jobs.cancelled")).isEqualTo(1.0);
      assertThat(count(registry, "parallel4j.jobs.retried")).isZero();
      assertThat(registry.get("parallel4j.jobs.queued").gauge().value()).isZero();
      FunctionTimer run =
          registry.get("parallel4j.jobs.run").tag("backend", "threads").functionTimer();
      assertThat(run.count()).isEqualTo(12.0).isEqualTo((double) stats.jobsRun());
      assertThat(run.totalTime(TimeUnit.NANOSECONDS))
          .isEqualTo((double) stats.backends().get(0).totalTime().toNanos());
      FunctionTimer queue = registry.get("parallel4j.jobs.queue").functionTimer();
      assertThat(queue.totalTime(TimeUnit.NANOSECONDS))
          .isEqualTo((double) stats.outcomes().queueTime().toNanos())
          .as("never less than no time")
          .isNotNegative();
      assertThat(registry.get("parallel4j.workers").tag("backend", "threads").gauge().value())
          .isEqualTo(1.0);
      assertThat(losses(registry, "killed")).isZero();
      assertThat(
              registry
                  .get("parallel4j.jobs.completed")
                  .tag("app", "test")
                  .tag("server", "metrics-a")
                  .meters())
          .hasSize(1);
    }
  }

  @Test
  void aWorkerProcessKilledBySignalIsCountedAsKilled() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (JobServer server = JobServer.builder().processes(1).name("metrics-b").build()) {
      new JobServerMetrics(server).bindTo(registry);
      long pid = server.submit(() -> ProcessHandle.current().pid()).get(60, SECONDS);
      ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL, to our own worker
      await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(() -> server.stats().outcomes().workerLosses().get(Stats.Outcomes.KILLED) == 1);
      assertThat(losses(registry, "killed")).isEqualTo(1.0);
      assertThat(losses(registry, "exited")).isZero();
      assertThat(server.submit(x -> x + 1, 1).get(60, SECONDS)).as("a new worker").isEqualTo(2);
    }
  }

  @Test
  void aPrometheusScrapeShowsTheServersMeters() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (JobServer server = JobServer.builder().threads(2).name("metrics-c").build()) {
      new JobServerMetrics(server).bindTo(registry);
      server.map(x -> x * 2, List.of(1, 2, 3, 4), 1);
      String scrape = registry.scrape();
      assertThat(scrape)
          .contains("parallel4j_jobs_completed_total{server=\"metrics-c\"} 4.0")
          .contains("parallel4j_jobs_submitted_total{server=\"metrics-c\"} 4.0")
          .contains("parallel4j_jobs_run_seconds_count{backend=\"threads\",server=\"metrics-c\"} 4")
          .contains("parallel4j_workers{backend=\"threads\",server=\"metrics-c\"} 2.0")
          .contains("# HELP parallel4j_jobs_failed_total jobs ended with an exception");
    }
  }
}
