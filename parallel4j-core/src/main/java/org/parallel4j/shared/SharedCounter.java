package org.parallel4j.shared;

import java.io.Serial;
import java.io.Serializable;

/**
 * A {@code long} counter in {@link SharedMemory}, updated atomically from any thread of any process
 * that has the memory: Python's {@code multiprocessing.Value('q', 0)} used with its lock, without
 * the lock. Get one with {@link SharedMemory#counter(long)}; pass it to tasks like any value.
 */
public final class SharedCounter implements Serializable {
  @Serial private static final long serialVersionUID = 1L;
  private final SharedMemory.LongArray slot;

  SharedCounter(SharedMemory memory, int offset) {
    this.slot = memory.longs(offset, 1);
  }

  /** The current value. */
  public long get() {
    return slot.get(0);
  }

  /** Sets the value. */
  public void set(long value) {
    slot.set(0, value);
  }

  /** Adds one; returns the new value. */
  public long incrementAndGet() {
    return slot.add(0, 1);
  }

  /** Adds {@code delta}; returns the new value. */
  public long addAndGet(long delta) {
    return slot.add(0, delta);
  }

  /** Sets the value to {@code update} if it is {@code expected}. */
  public boolean compareAndSet(long expected, long update) {
    return slot.compareAndSet(0, expected, update);
  }

  @Override
  public String toString() {
    return "SharedCounter[" + slot.memory().name() + " @" + slot.offset() + " = " + get() + "]";
  }
}
