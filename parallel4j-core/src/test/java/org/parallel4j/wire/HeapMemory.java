package org.parallel4j.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A ring's memory in arrays on the heap, for the model checker, which follows accesses to arrays
 * but not to a mapped buffer. Longs and ints live in arrays of their own, indexed by offset: the
 * ring never reads one offset at two widths. Bytes are copied one at a time, through a {@link
 * VarHandle}: the checker switches threads at those accesses (not at plain array accesses), in the
 * middle of a copy too.
 */
final class HeapMemory implements Ring.Memory {
  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
  private static final VarHandle BYTES = MethodHandles.arrayElementVarHandle(byte[].class);

  private final long[] longs;
  private final int[] ints;
  private final byte[] bytes;

  /** Memory for one ring of {@code capacity} bytes of data. */
  HeapMemory(int capacity) {
    int size = Ring.DATA + capacity;
    longs = new long[size / 8];
    ints = new int[size / 4];
    bytes = new byte[size];
  }

  @Override
  public long getLongAcquire(int at) {
    return (long) LONGS.getAcquire(longs, at >> 3);
  }

  @Override
  public void setLongRelease(int at, long value) {
    LONGS.setRelease(longs, at >> 3, value);
  }

  @Override
  public long getLongVolatile(int at) {
    return (long) LONGS.getVolatile(longs, at >> 3);
  }

  @Override
  public void setLongVolatile(int at, long value) {
    LONGS.setVolatile(longs, at >> 3, value);
  }

  @Override
  public int getIntVolatile(int at) {
    return (int) INTS.getVolatile(ints, at >> 2);
  }

  @Override
  public void setIntVolatile(int at, int value) {
    INTS.setVolatile(ints, at >> 2, value);
  }

  @Override
  public boolean compareAndSetInt(int at, int expected, int value) {
    return INTS.compareAndSet(ints, at >> 2, expected, value);
  }

  @Override
  public void get(int at, byte[] to, int offset, int length) {
    for (int i = 0; i < length; i++) {
      to[offset + i] = (byte) BYTES.getOpaque(bytes, at + i);
    }
  }

  @Override
  public void put(int at, byte[] from, int offset, int length) {
    for (int i = 0; i < length; i++) {
      BYTES.setOpaque(bytes, at + i, from[offset + i]);
    }
  }
}
