package org.parallel4j;

import java.util.List;
import java.util.Objects;

/**
 * What {@link JobServer#waitFor} found: the jobs that were done and those that were not, each list
 * in the order the jobs were given. Python's {@code (done, not_done)} pair.
 *
 * @param done the jobs done when the wait returned
 * @param notDone the jobs still pending or running then
 * @param <J> the job type
 */
public record WaitResult<J>(List<J> done, List<J> notDone) {
  /** Copies both lists; neither may be null. */
  public WaitResult {
    done = List.copyOf(Objects.requireNonNull(done, "done"));
    notDone = List.copyOf(Objects.requireNonNull(notDone, "notDone"));
  }
}
