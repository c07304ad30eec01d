package org.parallel4j;

/**
 * A job server as JConsole, VisualVM or any JMX client sees it, under {@code
 * org.parallel4j:type=JobServer,name=NAME}, once the server was built with {@link
 * JobServerBuilder#jmx()}: its state and counts as {@link JobServer#stats()} has them, and {@code
 * Workers} writable ({@link JobServer#setWorkers}). Unregistered when the server terminates.
 */
public interface JobServerMXBean {
  /** The server's name. */
  String getName();

  /** {@code running}, {@code shutting down}, {@code stopping} or {@code terminated}. */
  String getState();

  /** The workers of all backends ({@link Integer#MAX_VALUE} for no limit). */
  int getWorkers();

  /** Sets how many jobs run at once, as {@link JobServer#setWorkers} does. */
  void setWorkers(int workers);

  /** Jobs submitted and not yet ended. */
  long getActive();

  /** Jobs waiting for a worker. */
  long getQueued();

  /** Jobs ended in any way. */
  long getCompleted();

  /** Jobs that ran, over all backends. */
  long getJobsRun();

  /** Seconds since the server started. */
  long getUptimeSeconds();

  /** The backends' names, in the order the server offers them work. */
  String[] getBackends();

  /** {@link JobServer#stats()} as its table. */
  String getStats();
}
