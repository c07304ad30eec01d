package org.parallel4j;

import java.io.Serial;
import java.time.Duration;

/**
 * A job ran past its deadline. On worker processes its worker was killed and replaced; on threads
 * the thread running it was interrupted. The job fails with this; no other job does.
 */
public final class TaskTimeoutException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  private final Duration deadline;

  /**
   * Creates the exception.
   *
   * @param message what happened, naming the job, the deadline and the worker
   * @param deadline the deadline the job ran past
   */
  public TaskTimeoutException(String message, Duration deadline) {
    super(message);
    this.deadline = deadline;
  }

  /** The deadline the job ran past. */
  public Duration deadline() {
    return deadline;
  }
}
