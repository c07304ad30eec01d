package org.parallel4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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

/**
 * The shared-memory ring and its doorbell, between threads of one JVM: the worker-process tests run
 * them across processes.
 */
class RingTest {
  @TempDir Path dir;
  private SocketChannel producerEnd;
  private SocketChannel consumerEnd;
  private MappedByteBuffer file;

  @BeforeEach
  void connect() throws IOException {
    Path socket = dir.resolve("bell.sock");
    try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      listener.bind(UnixDomainSocketAddress.of(socket));
      producerEnd = SocketChannel.open(UnixDomainSocketAddress.of(socket));
      consumerEnd = listener.accept();
    }
    file = Ring.create(dir.resolve("rings"));
  }

  @AfterEach
  void close() throws IOException {
    producerEnd.close();
    consumerEnd.close();
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
   * Two consumer threads take turns as a worker's do (one reads, the other sleeps on the doorbell;
   * whoever finds nothing goes idle and sleeps), while a producer writes 20,000 frames from empty
   * to three times the ring's size, publishing at random points and pausing briefly after many of
   * them so that the consumers go idle and must be rung. Every frame arrives once, whole and in
   * order; none is left unread by a lost ring.
   */
  @Test
  void framesOfEverySizeCrossInOrderWhileConsumersSleepAndWake() throws Exception {
    int frames = 20_000;
    Doorbell producerBell = new Doorbell(producerEnd);
    Doorbell consumerBell = new Doorbell(consumerEnd);
    Ring.Out out = Ring.of(file, 0).new Out(producerBell, () -> true);
    Ring.In in = Ring.of(file, 0).new In(() -> true);
    DataInputStream data = new DataInputStream(in);
    ReentrantLock role = new ReentrantLock();
    AtomicLong next = new AtomicLong(); // the sequence number expected next
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    Runnable consumer =
        () -> {
          try {
            while (done.getCount() > 0) {
              if (role.tryLock()) {
                try {
                  in.active();
                  while (in.ready() || in.awaitReady(0) || !in.idle()) {
                    Frames.Frame f = Frames.read(data, 4 * Ring.CAPACITY);
                    check(f, next.getAndIncrement());
                    if (next.get() == frames) {
                      done.countDown();
                    }
                  }
                } finally {
                  role.unlock();
                }
                if (in.pending()) {
                  continue; // came while this thread let go
                }
              }
              if (done.getCount() > 0 && !consumerBell.sleep()) {
                return;
              }
            }
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
            done.countDown();
          }
        };
    Thread a = Thread.ofPlatform().name("consumer-a").start(consumer);
    Thread b = Thread.ofPlatform().name("consumer-b").start(consumer);

    SplittableRandom random = new SplittableRandom(42);
    DataOutputStream sink = new DataOutputStream(out);
    for (long i = 0; i < frames; i++) {
      Frames.write(sink, Frames.RESULT, i, payload(i, size(random)));
      if (random.nextInt(4) == 0) {
        sink.flush();
        // a pause of 0-8 us now and then: the consumers go idle, and are rung, thousands of times
        long until = System.nanoTime() + random.nextInt(8_000);
        while (System.nanoTime() < until) {
          Thread.onSpinWait();
        }
      }
    }
    sink.flush();

    assertThat(done.await(60, TimeUnit.SECONDS)).as("all frames read").isTrue();
    consumerBell.wakeUp();
    producerEnd.close(); // ends the sleeping consumer
    a.join(10_000);
    b.join(10_000);
    assertThat(failure.get()).isNull();
    assertThat(next.get()).isEqualTo(frames);
  }

  @Test
  void oneRingServesAnIdleSpellHoweverManyPublishes() throws IOException {
    Ring.Out out = Ring.of(file, 1).new Out(new Doorbell(producerEnd), () -> true);
    Ring.In in = Ring.of(file, 1).new In(() -> true);
    assertThat(in.idle()).isTrue(); // nothing published: it may sleep
    for (int i = 0; i < 5; i++) {
      out.write(new byte[] {(byte) i});
      out.flush();
    }
    ByteBuffer rings = ByteBuffer.allocate(16);
    consumerEnd.read(rings); // blocking: the ring has come
    consumerEnd.configureBlocking(false);
    consumerEnd.read(rings);
    assertThat(rings.position()).as("bytes rung").isEqualTo(1);
    assertThat(in.available()).isEqualTo(5);

    in.active(); // awake: publishing rings no more
    out.write(new byte[] {9});
    out.flush();
    rings.clear();
    assertThat(consumerEnd.read(rings)).isZero();
    assertThat(in.idle()).as("bytes wait: stays awake").isFalse();
  }

  @Test
  void waitsEndWhenTheOtherSideIsGone() throws IOException {
    Ring.In in = Ring.of(file, 0).new In(() -> false);
    assertThatThrownBy(() -> in.read(new byte[4], 0, 4))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("reading a frame");
    Ring.Out out = Ring.of(file, 1).new Out(new Doorbell(producerEnd), () -> false);
    assertThatThrownBy(() -> out.write(new byte[Ring.CAPACITY + 1]))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("writing a frame");
  }

  @Test
  void aSleeperLearnsThatItsPeerIsGone() throws Exception {
    Doorbell bell = new Doorbell(consumerEnd);
    ConcurrentLinkedQueue<Boolean> woke = new ConcurrentLinkedQueue<>();
    Thread waiting =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    woke.add(bell.sleep()); // a ring: true
                    woke.add(bell.sleep()); // the end: false
                  } catch (IOException e) {
                    woke.add(false);
                  }
                });
    new Doorbell(producerEnd).ring();
    org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> !woke.isEmpty());
    producerEnd.close(); // after the first wake: else one sleep may take in both
    waiting.join(10_000);
    assertThat(woke).containsExactly(true, false);
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
