package org.parallel4j.spi;

import java.util.List;
import java.util.Objects;

/**
 * Why a worker was lost, as its backend saw it: the job server names it in the failure of a job
 * that used all its attempts there.
 *
 * @param exit how it ended, such as {@code exit code 3}, {@code killed by signal 9} or {@code node
 *     left the cluster}
 * @param pid its process id, or {@code -1} where it is not a process of this machine
 * @param lastLines the last lines it wrote to its standard error, oldest first (may be empty)
 */
public record WorkerLoss(String exit, long pid, List<String> lastLines) {
  /** Copies {@code lastLines}. */
  public WorkerLoss {
    Objects.requireNonNull(exit, "exit");
    lastLines = List.copyOf(lastLines);
  }

  /** A loss with no process and nothing it said. */
  public static WorkerLoss of(String exit) {
    return new WorkerLoss(exit, -1, List.of());
  }
}
