package org.parallel4j;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.parallel4j.spi.WorkerLoss;

/**
 * A job server's running totals beyond what its lanes count: failures, cancels, retries, worker
 * losses by cause, and the time jobs spent queued. Only the queue time is added on every job's path
 * (one uncontended {@link LongAdder} add); the rest on the paths they count. Thread-safe.
 */
final class Counters {
  final LongAdder failed = new LongAdder();
  final LongAdder cancelledRunning = new LongAdder(); // cancels of held or running jobs
  final LongAdder retried = new LongAdder();
  final LongAdder queueNanos = new LongAdder(); // of attempts that started
  private final LongAdder killed = new LongAdder();
  private final LongAdder exited = new LongAdder();
  private final LongAdder lost = new LongAdder();

  /** A worker was lost: counted by the cause its exit names. */
  void lost(WorkerLoss loss) {
    switch (Stats.Outcomes.causeOf(loss.exit())) {
      case Stats.Outcomes.KILLED -> killed.increment();
      case Stats.Outcomes.EXITED -> exited.increment();
      default -> lost.increment();
    }
  }

  Stats.Outcomes snapshot(long submitted, long dropped) {
    return new Stats.Outcomes(
        submitted,
        failed.sum(),
        dropped + cancelledRunning.sum(),
        retried.sum(),
        Duration.ofNanos(queueNanos.sum()),
        java.util.Map.of(
            Stats.Outcomes.KILLED, killed.sum(),
            Stats.Outcomes.EXITED, exited.sum(),
            Stats.Outcomes.LOST, lost.sum()));
  }
}
