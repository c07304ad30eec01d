package org.parallel4j.spi;

import java.io.Serializable;

/**
 * A task as a backend runs it: every shape of {@code org.parallel4j.Task} is one, so a backend, or
 * a worker process that decoded a task, runs it without knowing which shape it has.
 */
public interface TaskBody extends Serializable {
  /**
   * Runs the task.
   *
   * @param argument the argument given at submit; {@code null} for a task that takes none
   * @return the task's result; {@code null} for a task that has none
   * @throws Exception what the task threw
   */
  Object invoke(Object argument) throws Exception;
}
