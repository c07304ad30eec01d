package org.parallel4j;

/** The contract suite on virtual threads, with a limit so that setWorkers can be observed. */
class VirtualThreadsJobServerTest extends JobServerContractTest {
  @Override
  JobServer newServer(int workers) {
    return JobServer.builder().virtualThreads(workers).build();
  }
}
