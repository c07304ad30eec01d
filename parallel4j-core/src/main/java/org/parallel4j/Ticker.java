package org.parallel4j;

/**
 * A source of nanosecond time, read for job timings and stats. The default reads {@link
 * System#nanoTime()}; tests install their own to control time without sleeping. Implementations
 * must be thread-safe and monotonic.
 */
@FunctionalInterface
public interface Ticker {
  /** The current time in nanoseconds, from an arbitrary origin. */
  long read();

  /** The system ticker, {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
