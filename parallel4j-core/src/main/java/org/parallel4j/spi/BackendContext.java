package org.parallel4j.spi;

import java.util.concurrent.ScheduledFuture;

/**
 * What a job server gives a backend when it {@linkplain Backend#start starts} it: the queue, the
 * server's clock and timer, its settings, its logger and its codec, and the door through which the
 * backend reports workers and their loss. A backend needs nothing else of the server. Thread-safe.
 */
public interface BackendContext {
  /** The job server's name, for thread names and messages. */
  String serverName();

  /** The server's queue, as this backend sees it: what it takes there is leased to it. */
  WorkSource source();

  /** The server's clock, in nanoseconds (its {@code Ticker}). */
  long now();

  /**
   * Runs {@code action} once after {@code delayNanos} on the server's timer thread. The action must
   * be short; it may not block.
   */
  ScheduledFuture<?> schedule(Runnable action, long delayNanos);

  /** How many times a job may be started before a lost worker fails it. */
  int maxAttempts();

  /** The server's logger. */
  System.Logger logger();

  /** The codec that encodes tasks, arguments, results and exceptions for other processes. */
  Codec codec();

  /**
   * Registers a worker, such as a process or a remote node's slot, so that the server holds the
   * leases of the jobs assigned to it and re-queues them if it is {@linkplain WorkerHandle#lost
   * lost}. A backend whose workers are threads of this JVM need not register them.
   */
  WorkerHandle worker(String name);

  /**
   * The whole backend was lost (its node left, its connection died): every job it holds, on any
   * worker, goes back to the queue as for {@link WorkerHandle#lost}. The backend takes no more work
   * and is removed from the server.
   */
  void lost(WorkerLoss loss);
}
