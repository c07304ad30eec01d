package org.parallel4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parallel4j.wire.Doorbell;
import org.parallel4j.wire.Frames;
import org.parallel4j.wire.Ring;

/**
 * The shared-memory ring, its doorbell and a worker's sleepers, between threads of one JVM, with an
 * operating-system pipe for the rings as a worker's standard input is: the worker-process tests run
 * them across processes.
 */
class RingTest {
  @TempDir Path dir;
  private Pipe bells; // the producer rings into the sink; the consumers sleep on the source
  private MappedByteBuffer file;

  @BeforeEach
  void connect() throws IOException {
    bells = Pipe.open();
    file = Ring.create(dir.resolve("rings"));
  }

  @AfterEach
  void close() throws IOException {
    bells.sink().close();
    bells.source().close();
  }

  private Doorbell producerBell() {
    return () -> bells.sink().write(ByteBuffer.wrap(new byte[] {1}));
  }

  @Test
  void theFileIsPrivateAndCreatedOnlyOnce() throws IOException {
    Path path = dir.resolve("rings");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
        .isEqualTo("rw-------");
    assertThat(Files.size(path)).isEqualTo(2L * Ring.SPAN);
    assertThatThrownBy(() -> Ring.create(path))
        .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    assertThat(path).as("another's file is left alone").exists();
    Files.write(dir.resolve("short"), new byte[10]);
    assertThatThrownBy(() -> Ring.open(dir.resolve("short")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("10 bytes");
  }

  /**
   * Two consumer threads take turns as a worker's do (one reads until the ring is idle; one that
   * read frames then "runs tasks" for a moment and wakes the other, so that it listens for rings;
   * whoever finds nothing sleeps: one on the pipe, the other parked), while a producer writes
   * 20,000 frames from empty to three times the ring's size, publishing at random points and
   * pausing briefly after many of them so that the consumers go idle and must be rung. Every frame
   * arrives once, whole and in order; none is left unread by a lost ring or a lost wake-up.
   */
  @Test
  void framesOfEverySizeCrossInOrderWhileConsumersSleepAndWake() throws Exception {
    int frames = 20_000;
    Ring.Out out = Ring.of(file, 0).new Out(producerBell(), () -> true);
    Ring.In in = Ring.of(file, 0).new In(() -> true);
    DataInputStream data = new DataInputStream(in);
    ReentrantLock role = new ReentrantLock();
    AtomicLong next = new AtomicLong(); // the sequence number expected next
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Sleepers> sleepers = new AtomicReference<>();
    CountDownLatch ready = new CountDownLatch(1);
    Runnable consumer =
        () -> {
          SplittableRandom work = new SplittableRandom(Thread.currentThread().getName().hashCode());
          try {
            ready.await();
            while (done.getCount() > 0) {
              if (role.tryLock()) {
                boolean read = false;
                try {
                  in.active();
                  while (in.ready() || !in.idle()) {
                    Frames.Frame f = Frames.read(data, 4 * Ring.CAPACITY);
                    check(f, next.getAndIncrement());
                    if (next.get() == frames) {
                      done.countDown();
                    }
                    read = true;
                  }
                } finally {
                  role.unlock();
                }
                if (read && work.nextInt(2) == 0) {
                  // the runner: the ring is idle; the other thread takes the rings over
                  sleepers.get().wakeUp();
                  spin(work.nextInt(5_000));
                  continue;
                }
                if (in.pending()) {
                  continue; // came while this thread let go
                }
              }
              if (done.getCount() > 0 && !sleepers.get().sleep()) {
                return;
              }
            }
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
            done.countDown();
          }
        };
    Thread a = Thread.ofPlatform().name("consumer-a").unstarted(consumer);
    Thread b = Thread.ofPlatform().name("consumer-b").unstarted(consumer);
    sleepers.set(new Sleepers(Channels.newInputStream(bells.source()), a, b));
    a.start();
    b.start();
    ready.countDown();

    SplittableRandom random = new SplittableRandom(42);
    DataOutputStream sink = new DataOutputStream(out);
    for (long i = 0; i < frames; i++) {
      Frames.write(sink, Frames.RESULT, i, payload(i, size(random)));
      if (random.nextInt(4) == 0) {
        sink.flush();
        // a pause of 0-8 us now and then: the consumers go idle, and are rung, thousands of times
        spin(random.nextInt(8_000));
      }
    }
    sink.flush();

    assertThat(done.await(60, TimeUnit.SECONDS)).as("all frames read").isTrue();
    sleepers.get().wakeUp(); // ends the parked consumer
    bells.sink().close(); // ends the one that listens
    a.join(10_000);
    b.join(10_000);
    assertThat(failure.get()).isNull();
    assertThat(next.get()).isEqualTo(frames);
  }

  @Test
  void oneRingServesAnIdleSpellHoweverManyPublishes() throws IOException {
    Ring.Out out = Ring.of(file, 1).new Out(producerBell(), () -> true);
    Ring.In in = Ring.of(file, 1).new In(() -> true);
    assertThat(in.idle()).isTrue(); // nothing published: it may sleep
    for (int i = 0; i < 5; i++) {
      out.write(new byte[] {(byte) i});
      out.flush();
    }
    ByteBuffer rings = ByteBuffer.allocate(16);
    bells.source().read(rings); // blocking: the ring has come
    bells.source().configureBlocking(false);
    bells.source().read(rings);
    assertThat(rings.position()).as("bytes rung").isEqualTo(1);
    assertThat(in.available()).isEqualTo(5);

    in.active(); // awake: publishing rings no more
    out.write(new byte[] {9});
    out.flush();
    rings.clear();
    assertThat(bells.source().read(rings)).isZero();
    assertThat(in.idle()).as("bytes wait: stays awake").isFalse();
  }

  @Test
  void waitsEndWhenTheOtherSideIsGone() throws IOException {
    Ring.In in = Ring.of(file, 0).new In(() -> false);
    assertThatThrownBy(() -> in.read(new byte[4], 0, 4))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("reading a frame");
    Ring.Out out = Ring.of(file, 1).new Out(producerBell(), () -> false);
    assertThatThrownBy(() -> out.write(new byte[Ring.CAPACITY + 1]))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("writing a frame");
  }

  @Test
  void aSleeperLearnsThatItsPeerIsGone() throws Exception {
    Sleepers sleepers = new Sleepers(Channels.newInputStream(bells.source()));
    ConcurrentLinkedQueue<Boolean> woke = new ConcurrentLinkedQueue<>();
    Thread waiting =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    woke.add(sleepers.sleep()); // a ring: true
                    woke.add(sleepers.sleep()); // the end: false
                  } catch (IOException e) {
                    woke.add(false);
                  }
                });
    producerBell().ring();
    org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> !woke.isEmpty());
    bells.sink().close(); // after the first wake: else one sleep may take in both
    waiting.join(10_000);
    assertThat(woke).containsExactly(true, false);
  }

  /**
   * A ring that came while no thread listened waits in the stream for the next sleeper; a thread
   * that finds the stream taken parks until another wakes it.
   */
  @Test
  void noRingOrWakeUpIsLostBetweenSleepers() throws Exception {
    producerBell().ring(); // nobody listens yet
    java.util.concurrent.atomic.AtomicBoolean woken =
        new java.util.concurrent.atomic.AtomicBoolean();
    CountDownLatch firstRing = new CountDownLatch(1);
    CountDownLatch parkedWoke = new CountDownLatch(1);
    AtomicReference<Sleepers> sleepers = new AtomicReference<>();
    Thread listener =
        Thread.ofPlatform()
            .unstarted(
                () -> {
                  try {
                    if (sleepers.get().sleep()) { // the ring that waited
                      firstRing.countDown();
                    }
                    sleepers.get().sleep(); // listens again, until the end
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
    Thread parked =
        Thread.ofPlatform()
            .unstarted(
                () -> {
                  try {
                    while (!woken.get()) { // a park may return early: only the wake-up counts
                      sleepers.get().sleep();
                    }
                    parkedWoke.countDown();
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
    sleepers.set(new Sleepers(Channels.newInputStream(bells.source()), listener, parked));
    listener.start();
    assertThat(firstRing.await(10, TimeUnit.SECONDS)).as("the ring that waited").isTrue();
    org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS).until(sleepers.get()::listening);
    parked.start();
    org.awaitility.Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> parked.getState() == Thread.State.WAITING);
    woken.set(true);
    sleepers.get().wakeUp();
    assertThat(parkedWoke.await(10, TimeUnit.SECONDS)).as("the parked sleeper woke").isTrue();
    bells.sink().close();
    listener.join(10_000);
    assertThat(listener.isAlive()).as("the listener saw the end").isFalse();
  }

  private static void spin(long nanos) {
    long until = System.nanoTime() + nanos;
    while (System.nanoTime() < until) {
      Thread.onSpinWait();
    }
  }

  private static int size(SplittableRandom random) {
    return switch (random.nextInt(100)) {
      case 0 -> Ring.CAPACITY + random.nextInt(2 * Ring.CAPACITY); // streams through the ring
      case 1, 2, 3 -> random.nextInt(Ring.CAPACITY);
      default -> random.nextInt(64);
    };
  }

  private static byte[] payload(long seq, int size) {
    byte[] p = new byte[size];
    for (int i = 0; i < size; i++) {
      p[i] = (byte) (seq * 31 + i);
    }
    return p;
  }

  private static void check(Frames.Frame f, long expected) {
    if (f.id() != expected || f.type() != Frames.RESULT) {
      throw new AssertionError(
          "frame " + f.id() + " of type " + f.type() + ", expected " + expected);
    }
    byte[] p = f.payload();
    for (int i = 0; i < p.length; i++) {
      if (p[i] != (byte) (expected * 31 + i)) {
        throw new AssertionError("frame " + expected + " differs at byte " + i);
      }
    }
  }
}
