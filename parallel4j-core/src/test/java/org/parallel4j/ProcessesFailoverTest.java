package org.parallel4j;

/** The failover contract on worker processes, killed with SIGKILL and frozen with SIGSTOP. */
class ProcessesFailoverTest extends FailoverContractTest {
  @Override
  JobServer newServer(int workers, int maxAttempts) {
    return JobServer.builder()
        .processes(workers)
        .maxAttempts(maxAttempts)
        .workerJvmArgs(Gates.workerJvmArg())
        .build();
  }

  @Override
  String backendName() {
    return "processes";
  }

  @Override
  void kill(long pid) {
    ProcessHandle.of(pid)
        .orElseThrow(() -> new AssertionError("no worker process " + pid))
        .destroyForcibly();
  }

  @Override
  void freeze(long pid) throws Exception {
    signal("-STOP", pid);
  }

  @Override
  void thaw(long pid) throws Exception {
    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      signal("-CONT", pid);
    }
  }

  private static void signal(String signal, long pid) throws Exception {
    int code = new ProcessBuilder("kill", signal, Long.toString(pid)).inheritIO().start().waitFor();
    if (code != 0) {
      throw new AssertionError("kill " + signal + " " + pid + " exited with " + code);
    }
  }
}
