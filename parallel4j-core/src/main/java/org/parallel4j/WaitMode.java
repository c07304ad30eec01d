package org.parallel4j;

/** When {@link JobServer#waitFor} returns, as in Python's {@code concurrent.futures.wait}. */
public enum WaitMode {
  /** As soon as any job is done, normally, exceptionally or by cancellation. */
  FIRST_COMPLETED,
  /** As soon as any job fails or is cancelled; when none does, once all are done. */
  FIRST_EXCEPTION,
  /** Once every job is done. */
  ALL_COMPLETED
}
