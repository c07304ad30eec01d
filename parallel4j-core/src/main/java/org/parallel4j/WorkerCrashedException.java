package org.parallel4j;

import java.io.Serial;
import java.util.List;

/**
 * A job's worker process died while running it, and the job has used all its attempts. The message
 * names the worker, its pid, how it ended, the attempts and the last lines the worker wrote to its
 * standard error.
 */
public final class WorkerCrashedException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  private final long pid;
  private final String exit;
  private final int attempts;
  private final String[] lastErrorLines; // an array: List is not Serializable as a type

  /**
   * Creates the exception.
   *
   * @param worker the worker's name
   * @param pid the worker's process id
   * @param exit how the process ended, such as {@code exit code 3} or {@code killed by signal 9}
   * @param jobId the job
   * @param attempts the attempts the job made
   * @param lastErrorLines the last lines the worker wrote to standard error
   */
  public WorkerCrashedException(
      String worker, long pid, String exit, long jobId, int attempts, List<String> lastErrorLines) {
    super(
        String.format(
            "%s (pid %d) died (%s) while running job %d (attempts=%d)%s",
            worker,
            pid,
            exit,
            jobId,
            attempts,
            lastErrorLines.isEmpty()
                ? "; it wrote nothing to stderr"
                : "; last stderr lines:\n  " + String.join("\n  ", lastErrorLines)));
    this.pid = pid;
    this.exit = exit;
    this.attempts = attempts;
    this.lastErrorLines = lastErrorLines.toArray(new String[0]);
  }

  /** The process id of the worker that died. */
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
