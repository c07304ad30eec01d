package org.parallel4j.process;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Where a worker's threads sleep while its ring from the server is idle. The server's rings come as
 * bytes on a stream (the worker's standard input), which a thread can only wait on by reading it,
 * and which no other thread can interrupt. So one sleeper at a time reads the stream; the others
 * park, and {@link #wakeUp} unparks them. A thread that stops reading the stream to run tasks wakes
 * the others, so that one of them takes the stream over: a ring that comes meanwhile waits in the
 * stream for it, never lost.
 */
final class Sleepers {
  private final InputStream bells;
  private final Thread[] threads;
  private final AtomicBoolean listening = new AtomicBoolean(); // a thread reads the stream
  private final byte[] drain = new byte[64]; // used by the listening thread only

  /**
   * @param bells the stream of rings; its end means the server is gone
   * @param threads the threads that sleep here, for {@link #wakeUp}
   */
  Sleepers(InputStream bells, Thread... threads) {
    this.bells = bells;
    this.threads = threads.clone();
  }

  /**
   * Sleeps until the server rings (this thread reads the stream, if no other does) or {@link
   * #wakeUp} is called (else); may return early. Returns false at the end of the stream: the server
   * is gone.
   */
  boolean sleep() throws IOException {
    if (listening.compareAndSet(false, true)) {
      try {
        return bells.read(drain) >= 0; // takes in every ring that came
      } finally {
        listening.set(false);
      }
    }
    LockSupport.park(this);
    return true;
  }

  /** Whether a thread reads the stream now (or is about to, or just did). */
  boolean listening() {
    return listening.get();
  }

  /**
   * Wakes the other threads that sleep parked, or makes their next park return at once: called by a
   * thread that leaves the stream to run tasks, so that another takes it over.
   */
  void wakeUp() {
    Thread me = Thread.currentThread();
    for (Thread t : threads) {
      if (t != me) {
        LockSupport.unpark(t);
      }
    }
  }
}
