package org.parallel4j;

import java.io.Serial;
import java.util.List;

/**
 * A job's worker was lost while running it (its process died, or its node left), and the job has
 * used all its attempts. The message names the backend and worker, the worker's pid where it is a
 * process of this machine, how it ended, the attempts and the last lines it wrote to its standard
 * error.
 */
public final class WorkerCrashedException extends RuntimeException {
  @Serial private static final long serialVersionUID = 2L;

  private final String backend;
  private final String worker;
  private final long pid;
  private final String exit;
  private final int attempts;
  private final String[] lastErrorLines; // an array: List is not Serializable as a type

  /**
   * Creates the exception.
   *
   * @param backend the backend the worker belonged to, such as {@code processes}
   * @param worker the worker's name
   * @param pid the worker's process id, or {@code -1} when it is not a process of this machine
   * @param exit how it ended, such as {@code exit code 3} or {@code killed by signal 9}
   * @param jobId the job
   * @param attempts the attempts the job made
   * @param lastErrorLines the last lines the worker wrote to standard error
   */
  public WorkerCrashedException(
      String backend,
      String worker,
      long pid,
      String exit,
      long jobId,
      int attempts,
      List<String> lastErrorLines) {
    super(
        String.format(
            "%s/%s%s died (%s) while running job %d (attempts=%d)%s",
            backend,
            worker,
            pid < 0 ? "" : " (pid " + pid + ")",
            exit,
            jobId,
            attempts,
            lastErrorLines.isEmpty()
                ? "; it wrote nothing to stderr"
                : "; last stderr lines:\n  " + String.join("\n  ", lastErrorLines)));
    this.backend = backend;
    this.worker = worker;
    this.pid = pid;
    this.exit = exit;
    this.attempts = attempts;
    this.lastErrorLines = lastErrorLines.toArray(new String[0]);
  }

  /** The backend of the worker that was lost, such as {@code processes}. */
  public String backend() {
    return backend;
  }

  /** The name of the worker that was lost. */
  public String worker() {
    return worker;
  }

  /** The process id of the worker that died, or {@code -1} when it was not a local process. */
  public long pid() {
    return pid;
  }

  /** How the worker ended, such as {@code exit code 3}. */
  public String exit() {
    return exit;
  }

  /** How many times the job was started. */
  public int attempts() {
    return attempts;
  }

  /** The last lines the worker wrote to standard error before it died. */
  public List<String> lastErrorLines() {
    return List.of(lastErrorLines);
  }
}
