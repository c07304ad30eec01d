package org.parallel4j;

import java.time.Duration;

/**
 * The contract suite on the SPI's test backend, the stand-in for a remote node: the same assertions
 * as the local engines, so a backend written against the SPI alone inherits them.
 */
class SimulatedJobServerTest extends JobServerContractTest {
  @Override
  JobServer newServer(int workers) {
    return JobServer.builder()
        // one job taken at a time, as a worker process takes one job until its first result:
        // the suite's tests of queued jobs need them queued in the server
        .backend(
            new SimulatedBackend(
                "sim", workers, Integer.getInteger("simPipeline", 1), Duration.ofNanos(20_000)))
        .build();
  }
}
