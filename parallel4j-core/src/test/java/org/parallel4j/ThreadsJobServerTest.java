package org.parallel4j;

/** The contract suite on platform threads. */
class ThreadsJobServerTest extends JobServerContractTest {
  @Override
  JobServer newServer(int workers) {
    return JobServer.threads(workers);
  }
}
