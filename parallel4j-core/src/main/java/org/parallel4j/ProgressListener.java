package org.parallel4j;

/**
 * Told how a bulk operation progresses: at most about every {@link #INTERVAL_MILLIS} ms as its jobs
 * end, and once more, with {@link Progress#finished()} set, when it has ended. Calls come one at a
 * time, from the threads that complete jobs and, for the last one, from the thread that ran the
 * operation; a listener must be quick and must not block. An exception it throws is logged and
 * stops further reports to it; the operation goes on.
 */
@FunctionalInterface
public interface ProgressListener {
  /** The least time between two reports before the last. */
  long INTERVAL_MILLIS = 100;

  /** The operation has come {@code progress} far. */
  void onProgress(Progress progress);
}
