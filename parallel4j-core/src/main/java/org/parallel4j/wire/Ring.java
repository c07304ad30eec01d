package org.parallel4j.wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One direction of the channel between a job server and a worker process: a single-producer,
 * single-consumer byte ring in memory both map (a file in {@code /dev/shm}). Frames cross it
 * without a system call while the consumer is awake; a consumer with nothing to read for a while
 * marks itself idle and sleeps in the kernel, reading a pipe (the worker's standard input or
 * output), and the producer that next publishes rings it awake with one byte on that pipe ({@link
 * Doorbell}). So a busy channel costs no system calls and an idle worker costs no CPU.
 *
 * <p>Layout, per ring: the producer's tail, the consumer's head and the consumer's state, each on a
 * cache line of its own, then {@link #CAPACITY} bytes of data (any power of two in the model
 * checker's rings). Positions only grow; a position modulo the capacity is its place in the data.
 * The producer writes bytes, then publishes them by a release store of the tail ({@link
 * Out#flush}); the consumer reads them after an acquire load of the tail and frees them by a
 * release store of the head.
 *
 * <p>Sleeping without losing a wake-up: the consumer stores IDLE and then looks at the tail; the
 * producer stores the tail and then looks at the state (both sequentially consistent). One of them
 * sees the other's store: either the consumer sees the bytes and stays awake, or the producer sees
 * IDLE, moves it to RINGING (so that one doorbell serves any number of publishes) and rings.
 *
 * <p>A frame longer than the ring streams through it: the producer publishes what fits and waits
 * for space, and the consumer reads what is there and waits for the rest. Those waits poll with
 * growing pauses and end, with an {@link EOFException}, when the other side is gone.
 */
public final class Ring {
  /** Bytes of data per ring. */
  public static final int CAPACITY = 1 << 18;

  private static final int LINE = 64;
  private static final int TAIL = 0;
  private static final int HEAD = LINE;
  private static final int STATE = 2 * LINE;
  static final int DATA = 3 * LINE;

  /** The size of one ring in the file, header included. */
  public static final int SPAN = DATA + CAPACITY;

  static final int ACTIVE = 0;
  static final int IDLE = 1;
  static final int RINGING = 2;

  private static final VarHandle LONG =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final VarHandle INT =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

  /**
   * How long a consumer stays awake after its last frame, spinning, before it sleeps: long enough
   * that a caller submitting one task after another finds the worker awake ({@code
   * -Dparallel4j.spinMicros}, 100 by default; 0 sleeps at once).
   */
  public static final long SPIN_NANOS =
      TimeUnit.MICROSECONDS.toNanos(Long.getLong("parallel4j.spinMicros", 100));

  private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final Memory mem;
  private final int base;
  private final int capacity; // a power of two

  /**
   * A ring at {@code base} in {@code mem}, with {@code capacity} bytes of data; the production
   * rings are {@link #of(MappedByteBuffer, int)}, the model checker's are small and on the heap.
   */
  Ring(Memory mem, int base, int capacity) {
    if (Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("capacity: " + capacity + " (expected: a power of two)");
    }
    this.mem = mem;
    this.base = base;
    this.capacity = capacity;
  }

  /**
   * Creates a file for the two rings of one worker, readable and writable by this user only, and
   * maps it. The file is created exclusively: if one of that name exists, whoever made it, the call
   * fails and leaves it alone.
   */
  public static MappedByteBuffer create(Path file) throws IOException {
    FileChannel ch =
        FileChannel.open(
            file,
            Set.of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (ch) {
      MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, 2L * SPAN);
      INT.setVolatile(b, STATE, IDLE);
      INT.setVolatile(b, SPAN + STATE, IDLE);
      return b;
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file); // ours: created above
      throw e;
    }
  }

  /** Maps the file another process created. */
  public static MappedByteBuffer open(Path file) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      if (ch.size() != 2L * SPAN) {
        throw new IOException("ring file " + file + " has " + ch.size() + " bytes");
      }
      return ch.map(FileChannel.MapMode.READ_WRITE, 0, 2L * SPAN);
    }
  }

  /** Ring {@code index} (0: server to worker, 1: worker to server) of a mapped file. */
  public static Ring of(MappedByteBuffer file, int index) {
    return new Ring(new Mapped(file), index * SPAN, CAPACITY);
  }

  private long tail() {
    return mem.getLongAcquire(base + TAIL);
  }

  private long head() {
    return mem.getLongAcquire(base + HEAD);
  }

  private int state() {
    return mem.getIntVolatile(base + STATE);
  }

  /**
   * Waits by polling {@code done}: spins a little, then pauses for growing times up to a
   * millisecond; every pause checks {@code alive} and throws when it turns false.
   */
  private static void await(BooleanSupplier done, BooleanSupplier alive, String what)
      throws IOException {
    for (int i = 0; i < 1000; i++) {
      if (done.getAsBoolean()) {
        return;
      }
      Thread.onSpinWait();
    }
    long pause = 10_000;
    while (!done.getAsBoolean()) {
      if (!alive.getAsBoolean()) {
        throw new EOFException("the other side of the ring is gone while " + what);
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(MAX_PAUSE_NANOS, pause * 2);
    }
  }

  /** The consumer's side. One thread at a time reads; the caller arranges that. */
  public final class In extends InputStream {
    private final BooleanSupplier alive;
    private long head; // this side's only, published on each read
    private long tailSeen; // the producer's tail as last read

    /**
     * @param alive whether the producer may still publish; false ends a wait for bytes
     */
    public In(BooleanSupplier alive) {
      this.alive = alive;
      this.head = Ring.this.head();
      this.tailSeen = head;
    }

    /** Whether published bytes wait to be read. */
    public boolean ready() {
      return tailSeen != head || (tailSeen = tail()) != head;
    }

    /**
     * Spins until bytes are published or {@code nanos} have passed: the time a consumer stays awake
     * after its last frame. Yields between looks so that, on a machine with few cores, a thread
     * with real work runs first.
     */
    public boolean awaitReady(long nanos) {
      long start = System.nanoTime();
      for (int i = 1; ; i++) {
        if (ready()) {
          return true;
        }
        if ((i & 63) == 0 && System.nanoTime() - start > nanos) {
          return ready();
        }
        Thread.onSpinWait();
      }
    }

    /**
     * Whether published bytes wait to be read, as any thread sees it (a sequentially consistent
     * look at both positions): for a thread that gave up reading, to check that no frame came while
     * it did.
     */
    public boolean pending() {
      return mem.getLongVolatile(base + TAIL) != mem.getLongVolatile(base + HEAD);
    }

    /** Tells producers this consumer reads now: they publish without ringing. */
    public void active() {
      mem.setIntVolatile(base + STATE, ACTIVE);
    }

    /**
     * Tells producers to ring from now on, unless bytes came first; true if this consumer may
     * sleep, false if it must read on (it stays active).
     */
    public boolean idle() {
      mem.setIntVolatile(base + STATE, IDLE);
      if (ready()) {
        mem.setIntVolatile(base + STATE, ACTIVE);
        return false;
      }
      return true;
    }

    @Override
    public int available() {
      return ready() ? (int) Math.min(Integer.MAX_VALUE, tailSeen - head) : 0;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (!ready()) {
        await(this::ready, alive, "reading a frame");
      }
      int n = (int) Math.min(len, tailSeen - head);
      int at = (int) (head & (capacity - 1));
      int first = Math.min(n, capacity - at);
      mem.get(base + DATA + at, b, off, first);
      if (first < n) {
        mem.get(base + DATA, b, off + first, n - first);
      }
      head += n;
      mem.setLongRelease(base + HEAD, head);
      return n;
    }
  }

  /** The producer's side. One thread at a time writes; the caller arranges that. */
  public final class Out extends OutputStream {
    private final Doorbell bell;
    private final BooleanSupplier alive;
    private long tail; // written, published or not
    private long published;
    private long headSeen; // the consumer's head as last read

    /**
     * @param bell rung when the consumer sleeps
     * @param alive whether the consumer may still read; false ends a wait for space
     */
    public Out(Doorbell bell, BooleanSupplier alive) {
      this.bell = bell;
      this.alive = alive;
      this.tail = Ring.this.tail();
      this.published = tail;
      this.headSeen = Ring.this.head();
    }

    private long free() {
      long free = capacity - (tail - headSeen);
      if (free == 0) {
        headSeen = head();
        free = capacity - (tail - headSeen);
      }
      return free;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        long free = free();
        if (free == 0) {
          flush(); // the consumer makes room only for what it can see
          await(() -> free() > 0, alive, "writing a frame");
          free = free();
        }
        int n = (int) Math.min(len, free);
        int at = (int) (tail & (capacity - 1));
        int first = Math.min(n, capacity - at);
        mem.put(base + DATA + at, b, off, first);
        if (first < n) {
          mem.put(base + DATA, b, off + first, n - first);
        }
        tail += n;
        off += n;
        len -= n;
      }
    }

    /** Publishes what was written, and rings the consumer if it sleeps. */
    @Override
    public void flush() throws IOException {
      if (published == tail) {
        return;
      }
      published = tail;
      mem.setLongVolatile(base + TAIL, tail);
      if (state() == IDLE && mem.compareAndSetInt(base + STATE, IDLE, RINGING)) {
        bell.ring();
      }
    }
  }

  /**
   * The memory a ring lives in, addressed by byte offset, with the access modes the protocol needs:
   * the mapped file between two processes ({@link Mapped}), or, for the model checker, which cannot
   * follow accesses to a mapped buffer, arrays on the heap. Only the first is ever loaded outside
   * tests, so calls through this interface compile to direct ones.
   */
  interface Memory {
    long getLongAcquire(int at);

    void setLongRelease(int at, long value);

    long getLongVolatile(int at);

    void setLongVolatile(int at, long value);

    int getIntVolatile(int at);

    void setIntVolatile(int at, int value);

    boolean compareAndSetInt(int at, int expected, int value);

    /** Copies {@code length} bytes at {@code at} into {@code to}. */
    void get(int at, byte[] to, int offset, int length);

    /** Copies {@code length} bytes of {@code from} to {@code at}. */
    void put(int at, byte[] from, int offset, int length);
  }

  /** A mapped file's memory, in the machine's byte order. */
  private record Mapped(MappedByteBuffer buf) implements Memory {
    @Override
    public long getLongAcquire(int at) {
      return (long) LONG.getAcquire(buf, at);
    }

    @Override
    public void setLongRelease(int at, long value) {
      LONG.setRelease(buf, at, value);
    }

    @Override
    public long getLongVolatile(int at) {
      return (long) LONG.getVolatile(buf, at);
    }

    @Override
    public void setLongVolatile(int at, long value) {
      LONG.setVolatile(buf, at, value);
    }

    @Override
    public int getIntVolatile(int at) {
      return (int) INT.getVolatile(buf, at);
    }

    @Override
    public void setIntVolatile(int at, int value) {
      INT.setVolatile(buf, at, value);
    }

    @Override
    public boolean compareAndSetInt(int at, int expected, int value) {
      return INT.compareAndSet(buf, at, expected, value);
    }

    @Override
    public void get(int at, byte[] to, int offset, int length) {
      buf.get(at, to, offset, length);
    }

    @Override
    public void put(int at, byte[] from, int offset, int length) {
      buf.put(at, from, offset, length);
    }
  }
}
