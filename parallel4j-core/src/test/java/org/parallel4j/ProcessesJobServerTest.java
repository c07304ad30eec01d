package org.parallel4j;

/**
 * The contract suite on worker processes: the same assertions as the thread engines, the tasks'
 * gates reached over 127.0.0.1 from the workers.
 */
class ProcessesJobServerTest extends JobServerContractTest {
  @Override
  JobServer newServer(int workers) {
    return JobServer.builder().processes(workers).workerJvmArgs(Gates.workerJvmArg()).build();
  }
}
