package org.parallel4j.shared;

import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A named block of memory that worker processes and the parent share: Python's {@code
 * multiprocessing.shared_memory}, {@code Value} and {@code Array}. Typed views over it — {@link
 * #longs}, {@link #doubles}, {@link #counter} — read and write with volatile semantics and update
 * atomically ({@code add}, {@code compareAndSet}), across processes as across threads.
 *
 * {@snippet :
 * try (SharedMemory memory = SharedMemory.create("hits", 8 * 1024);
 *     JobServer server = JobServer.processes(4)) {
 *   SharedMemory.LongArray hits = memory.longs();
 *   server.map(i -> hits.add(i % 1024, 1), inputs); // the view travels with the task
 *   long total = hits.get(0);
 * } // close() releases this handle; the creator's close() also unlinks the name
 * }
 *
 * <p><b>Names and lifetime.</b> A segment is a file named {@code parallel4j-NAME} in {@code
 * /dev/shm} (memory, not disk) where there is one, else in the temporary directory. {@link #create}
 * makes it, zero-filled, and fails if the name is taken; {@link #open} attaches to an existing one.
 * {@link #close()} of the handle that created the segment also unlinks its name; memory already
 * mapped stays valid in every process that holds it until that process lets go of it, as with POSIX
 * {@code shm_unlink}. A segment whose creator died without closing it stays until {@link
 * #unlink(String)}. At most 2 GiB per segment.
 *
 * <p><b>Passing it to tasks.</b> A handle, or a view, captured by a task or passed as its argument
 * travels as its name: in a worker it attaches to the same memory on first use, once per process.
 * Thread-safe.
 */
public final class SharedMemory implements AutoCloseable, Serializable {
  @Serial private static final long serialVersionUID = 1L;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");
  private static final VarHandle LONG =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final VarHandle DOUBLE =
      MethodHandles.byteBufferViewVarHandle(double[].class, ByteOrder.nativeOrder());

  /** The segments this process has attached, by name: a handle arriving in a task reuses one. */
  private static final ConcurrentHashMap<String, SharedMemory> ATTACHED = new ConcurrentHashMap<>();

  private final String name;
  private final transient Path file;
  private final transient MappedByteBuffer buffer;
  private final transient boolean creator;
  private transient volatile boolean closed;

  private SharedMemory(String name, Path file, MappedByteBuffer buffer, boolean creator) {
    this.name = name;
    this.file = file;
    this.buffer = buffer;
    this.creator = creator;
  }

  /**
   * Creates a zero-filled segment of {@code bytes} bytes named {@code name}.
   *
   * @throws IllegalArgumentException for a name other than 1 to 200 of {@code [A-Za-z0-9._-]}, or a
   *     size outside 1 byte to 2 GiB
   * @throws IllegalStateException when a segment of that name exists
   */
  public static SharedMemory create(String name, long bytes) {
    Path file = fileOf(name);
    if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "bytes: " + bytes + " (expected: 1 to " + Integer.MAX_VALUE + ")");
    }
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      MappedByteBuffer buffer = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
      SharedMemory memory = new SharedMemory(name, file, buffer, true);
      ATTACHED.put(name, memory);
      return memory;
    } catch (FileAlreadyExistsException e) {
      throw new IllegalStateException(
          "shared memory '" + name + "' exists already (" + file + "): open it, or unlink it", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create shared memory '" + name + "' at " + file, e);
    }
  }

  /**
   * Attaches to the segment named {@code name}.
   *
   * @throws IllegalStateException when there is none
   */
  public static SharedMemory open(String name) {
    Path file = fileOf(name);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      return new SharedMemory(
          name, file, ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size()), false);
    } catch (NoSuchFileException e) {
      throw new IllegalStateException("no shared memory named '" + name + "' (" + file + ")", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open shared memory '" + name + "' at " + file, e);
    }
  }

  /**
   * Removes the name {@code name}, so that it can be created again; processes that have the memory
   * keep it. False when there was no such segment.
   */
  public static boolean unlink(String name) {
    try {
      return Files.deleteIfExists(fileOf(name));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unlink shared memory '" + name + "'", e);
    }
  }

  private static Path fileOf(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "name: \"" + name + "\" (expected: 1 to 200 of letters, digits, '.', '_', '-')");
    }
    Path shm = Path.of("/dev/shm");
    Path dir =
        Files.isDirectory(shm) && Files.isWritable(shm)
            ? shm
            : Path.of(System.getProperty("java.io.tmpdir"));
    return dir.resolve("parallel4j-" + name);
  }

  /** The segment's name. */
  public String name() {
    return name;
  }

  /** The segment's size in bytes. */
  public long size() {
    return buffer().capacity();
  }

  /** The whole segment as an array of {@code long}s. */
  public LongArray longs() {
    return longs(0, (int) (size() / Long.BYTES));
  }

  /**
   * {@code length} {@code long}s from byte {@code offset}.
   *
   * @throws IndexOutOfBoundsException when they do not fit, or {@code offset} is not a multiple of
   *     8 (atomic updates need aligned slots)
   */
  public LongArray longs(long offset, int length) {
    checkSlice(offset, length);
    return new LongArray(this, (int) offset, length);
  }

  /** The whole segment as an array of {@code double}s. */
  public DoubleArray doubles() {
    return doubles(0, (int) (size() / Double.BYTES));
  }

  /** {@code length} {@code double}s from byte {@code offset}; see {@link #longs(long, int)}. */
  public DoubleArray doubles(long offset, int length) {
    checkSlice(offset, length);
    return new DoubleArray(this, (int) offset, length);
  }

  /** A counter in the 8 bytes at byte {@code offset}: Python's {@code Value('q')} with its lock. */
  public SharedCounter counter(long offset) {
    checkSlice(offset, 1);
    return new SharedCounter(this, (int) offset);
  }

  private void checkSlice(long offset, int length) {
    if (offset < 0 || offset % 8 != 0 || length < 0 || offset + 8L * length > size()) {
      throw new IndexOutOfBoundsException(
          "offset "
              + offset
              + ", "
              + length
              + " slots of 8 bytes: outside shared memory '"
              + name
              + "' of "
              + size()
              + " bytes, or not 8-aligned");
    }
  }

  private MappedByteBuffer buffer() {
    if (closed) {
      throw new IllegalStateException("shared memory '" + name + "' is closed");
    }
    return buffer;
  }

  /**
   * Lets go of this handle (views of it then refuse access); the handle that created the segment
   * also unlinks its name. The memory itself is released when no process holds it.
   */
  @Override
  public void close() {
    closed = true;
    ATTACHED.remove(name, this);
    if (creator) {
      unlink(name);
    }
  }

  @Override
  public String toString() {
    return "SharedMemory["
        + name
        + ", "
        + buffer.capacity()
        + " bytes"
        + (closed ? ", closed" : "")
        + "]";
  }

  @Serial
  private Object writeReplace() {
    return new Ref(name);
  }

  /** How a handle travels: by name, attached again on arrival. */
  private record Ref(String name) implements Serializable {
    @Serial
    private Object readResolve() throws ObjectStreamException {
      SharedMemory m = ATTACHED.get(name);
      if (m == null || m.closed) {
        m = ATTACHED.compute(name, (n, old) -> old == null || old.closed ? open(n) : old);
      }
      return m;
    }
  }

  private static int index(int offset, int length, int i) {
    return offset + 8 * Objects.checkIndex(i, length);
  }

  /**
   * {@code long}s in shared memory, read and written with volatile semantics.
   *
   * @param memory the segment
   * @param offset the byte offset of element 0
   * @param length the number of elements
   */
  public record LongArray(SharedMemory memory, int offset, int length) implements Serializable {
    /** Element {@code i}. */
    public long get(int i) {
      return (long) LONG.getVolatile(memory.buffer(), index(offset, length, i));
    }

    /** Sets element {@code i}. */
    public void set(int i, long value) {
      LONG.setVolatile(memory.buffer(), index(offset, length, i), value);
    }

    /** Adds {@code delta} to element {@code i} atomically; returns the new value. */
    public long add(int i, long delta) {
      return (long) LONG.getAndAdd(memory.buffer(), index(offset, length, i), delta) + delta;
    }

    /** Sets element {@code i} to {@code update} if it is {@code expected}, atomically. */
    public boolean compareAndSet(int i, long expected, long update) {
      return LONG.compareAndSet(memory.buffer(), index(offset, length, i), expected, update);
    }

    /** A copy of the elements. */
    public long[] toArray() {
      long[] a = new long[length];
      for (int i = 0; i < length; i++) {
        a[i] = get(i);
      }
      return a;
    }
  }

  /**
   * {@code double}s in shared memory, read and written with volatile semantics.
   *
   * @param memory the segment
   * @param offset the byte offset of element 0
   * @param length the number of elements
   */
  public record DoubleArray(SharedMemory memory, int offset, int length) implements Serializable {
    /** Element {@code i}. */
    public double get(int i) {
      return (double) DOUBLE.getVolatile(memory.buffer(), index(offset, length, i));
    }

    /** Sets element {@code i}. */
    public void set(int i, double value) {
      DOUBLE.setVolatile(memory.buffer(), index(offset, length, i), value);
    }

    /** Adds {@code delta} to element {@code i} atomically; returns the new value. */
    public double add(int i, double delta) {
      MappedByteBuffer b = memory.buffer();
      int at = index(offset, length, i);
      while (true) {
        double old = (double) DOUBLE.getVolatile(b, at);
        if (DOUBLE.compareAndSet(b, at, old, old + delta)) {
          return old + delta;
        }
      }
    }

    /**
     * Sets element {@code i} to {@code update} if it holds {@code expected} (compared bit for bit,
     * as {@link Double#doubleToRawLongBits} does), atomically.
     */
    public boolean compareAndSet(int i, double expected, double update) {
      return DOUBLE.compareAndSet(memory.buffer(), index(offset, length, i), expected, update);
    }

    /** A copy of the elements. */
    public double[] toArray() {
      double[] a = new double[length];
      for (int i = 0; i < length; i++) {
        a[i] = get(i);
      }
      return a;
    }
  }
}
