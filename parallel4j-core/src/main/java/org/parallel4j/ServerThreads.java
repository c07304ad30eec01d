package org.parallel4j;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A job server's own threads, each started on first use: the timer ({@code NAME-timer}) for
 * deadlines and grace periods, and the callback pool ({@code NAME-callback-N}, one thread per
 * processor, at least two, idle ones ending after a second) for callbacks and {@code *Async}
 * stages, so that they never fall back on the JDK's common pool. Thread-safe.
 */
final class ServerThreads {
  private final String name;
  private volatile ScheduledThreadPoolExecutor timer;
  private volatile ThreadPoolExecutor callbacks;
  private boolean stopped; // guarded by this

  ServerThreads(String name) {
    this.name = name;
  }

  /** Runs {@code action} after {@code nanos} on the timer thread. */
  ScheduledFuture<?> schedule(Runnable action, long nanos) {
    ScheduledThreadPoolExecutor t = timer;
    if (t == null) {
      synchronized (this) {
        t = timer;
        if (t == null) {
          t =
              new ScheduledThreadPoolExecutor(
                  1, r -> Thread.ofPlatform().name(name + "-timer").daemon(true).unstarted(r));
          t.setRemoveOnCancelPolicy(true);
          timer = t;
        }
      }
    }
    return t.schedule(action, nanos, TimeUnit.NANOSECONDS);
  }

  /** The executor for callbacks and async stages. */
  Executor callbacks() {
    ThreadPoolExecutor cb = callbacks;
    if (cb == null) {
      synchronized (this) {
        cb = callbacks;
        if (cb == null) {
          int n = Math.max(2, Runtime.getRuntime().availableProcessors());
          AtomicInteger serial = new AtomicInteger();
          cb =
              new ThreadPoolExecutor(
                  n,
                  n,
                  1,
                  TimeUnit.SECONDS,
                  new LinkedBlockingQueue<>(),
                  r ->
                      Thread.ofPlatform()
                          .name(name + "-callback-" + serial.incrementAndGet())
                          .daemon(true)
                          .unstarted(r),
                  // after termination, a late stage still runs: on a virtual thread of its own
                  (r, executor) -> Thread.ofVirtual().name(name + "-callback-late").start(r));
          cb.allowCoreThreadTimeOut(true);
          if (stopped) {
            cb.shutdown();
          }
          callbacks = cb;
        }
      }
    }
    return cb;
  }

  /** The server has terminated: the timer stops; callbacks still queued run, then the pool ends. */
  void stop() {
    synchronized (this) {
      stopped = true;
    }
    ScheduledThreadPoolExecutor t = timer;
    if (t != null) {
      t.shutdownNow();
    }
    ThreadPoolExecutor cb = callbacks;
    if (cb != null) {
      cb.shutdown();
    }
  }
}
