package org.parallel4j;

import java.time.Duration;

/**
 * How far a bulk operation has come ({@link JobServer#map(Task.Fn, Iterable, ProgressListener)},
 * {@link JobServer#mapUnordered(Task.Fn, Iterable, int, int, ProgressListener)}): what tqdm shows
 * over Python's {@code Pool.imap}. Immutable.
 *
 * @param done inputs done, failed ones included
 * @param total inputs in all, or {@code -1} while not known (an iterator not yet exhausted)
 * @param failed inputs whose job failed
 * @param elapsed time since the operation began
 * @param finished whether this is the last report: the operation has ended, in any way
 */
public record Progress(long done, long total, long failed, Duration elapsed, boolean finished) {
  /** Inputs done per second since the operation began; 0 before any time has passed. */
  public double rate() {
    long nanos = elapsed.toNanos();
    return nanos <= 0 ? 0 : done * 1e9 / nanos;
  }

  /** The share done, 0 to 1, or {@code -1} while the total is not known. */
  public double fraction() {
    return total < 0 ? -1 : total == 0 ? 1 : (double) done / total;
  }

  /** As {@code 37/100 (37%), 1 failed, 512.0/s}. */
  @Override
  public String toString() {
    return done
        + "/"
        + (total < 0 ? "?" : total)
        + (total < 0 ? "" : String.format(" (%.0f%%)", fraction() * 100))
        + (failed > 0 ? ", " + failed + " failed" : "")
        + String.format(", %.1f/s", rate())
        + (finished ? ", finished" : "");
  }
}
