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
}
