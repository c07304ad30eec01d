package org.parallel4j.examples;

import java.util.concurrent.locks.ReentrantLock;
import org.parallel4j.Job;
import org.parallel4j.JobServer;

/**
 * Article section 2.3, the {@code threading} module: a counter shared by many threads, each change
 * made under a lock, as Python's {@code with self._value_lock:} does. Thread-safe.
 *
 * <p>Run: {@code java ... SharedCounter [threads increments]}: every thread adds 1 and subtracts 1
 * twice for each increment, then adds 1; the result is exactly {@code threads * increments}.
 */
public final class SharedCounter {
  private final ReentrantLock lock = new ReentrantLock();
  private long value; // guarded by lock

  /** A counter starting at {@code initialValue}. */
  public SharedCounter(long initialValue) {
    this.value = initialValue;
  }

  /** Adds {@code delta} under the lock. */
  public void incr(long delta) {
    lock.lock(); // try/finally is Java's `with lock:`
    try {
      value += delta;
    } finally {
      lock.unlock();
    }
  }

  /** Subtracts {@code delta} under the lock. */
  public void decr(long delta) {
    lock.lock();
    try {
      value -= delta;
    } finally {
      lock.unlock();
    }
  }

  /** The current value. */
  public long value() {
    lock.lock();
    try {
      return value;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Hammers one counter from {@code threads} platform threads at once, {@code increments} rounds
   * each, and returns the final value.
   */
  public static long hammer(int threads, int increments) {
    SharedCounter counter = new SharedCounter(0);
    try (JobServer server = JobServer.threads(threads)) {
      java.util.List<Job<Object>> jobs = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        jobs.add(
            server.submit(
                () -> {
                  for (int i = 0; i < increments; i++) {
                    counter.incr(2);
                    counter.decr(1);
                    counter.incr(1);
                    counter.decr(1);
                  }
                  return null;
                }));
      }
      jobs.forEach(Job::join);
    }
    return counter.value();
  }

  /** Entry point. */
  public static void main(String[] args) {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int increments = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    long value = hammer(threads, increments);
    System.out.printf(
        "%d threads x %d increments under a lock: counter = %d (expected %d)%n",
        threads, increments, value, (long) threads * increments);
  }
}
