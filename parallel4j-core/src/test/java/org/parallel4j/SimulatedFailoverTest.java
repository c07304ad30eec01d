package org.parallel4j;

import static org.awaitility.Awaitility.await;

import java.time.Duration;

/**
 * The failover contract on the SPI's test backend: workers in this JVM behind a delay, standing in
 * for a remote node, so the seam is proven before the network is involved.
 */
class SimulatedFailoverTest extends FailoverContractTest {
  private SimulatedBackend backend;

  @Override
  JobServer newServer(int workers, int maxAttempts) {
    backend = new SimulatedBackend("sim", workers, 8, Duration.ofNanos(50_000));
    return JobServer.builder().backend(backend).maxAttempts(maxAttempts).build();
  }

  @Override
  String backendName() {
    return "sim";
  }

  @Override
  void kill(long worker) {
    if (!backend.kill(worker)) {
      throw new AssertionError("no simulated worker " + worker);
    }
  }

  @Override
  void freeze(long worker) {
    if (!backend.freeze(worker)) {
      throw new AssertionError("no simulated worker " + worker);
    }
  }

  @Override
  void thaw(long worker) {}

  @Override
  void awaitLateOutcomes(int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> backend.lateOutcomesDropped() >= n);
  }

  /**
   * The queue time of a job run again after its worker was lost counts from its return to the
   * queue, not from its submit: the lost attempt's run time is not queue time. The server's clock
   * is the test's, and moves only when the test moves it.
   */
  @org.junit.jupiter.api.Test
  void aRetriedJobsQueueTimeCountsFromItsReturnToTheQueue() throws Exception {
    java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1);
    backend = new SimulatedBackend("sim", 2, 8, Duration.ofNanos(50_000));
    server = JobServer.builder().backend(backend).maxAttempts(3).ticker(clock::get).build();
    Job<String> job =
        server.submit(
            () -> {
              Gates.at(9, here());
              if (Gates.firstRun(9)) {
                Gates.await(0); // held until its worker is killed
                return "first";
              }
              return "again";
            });
    long worker = awaitRun(9, 1);
    clock.addAndGet(Duration.ofSeconds(5).toNanos()); // the first attempt ran five seconds
    kill(worker);
    org.assertj.core.api.Assertions.assertThat(job.get(60, java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo("again");
    org.assertj.core.api.Assertions.assertThat(server.stats().outcomes().queueTime())
        .as("both attempts' waits, on a clock that stood still while they waited")
        .isZero();
  }
}
