package org.parallel4j.wire;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.Lincheck;
import org.junit.jupiter.api.Test;

/**
 * The ring's protocol under Lincheck's model checker, which runs each scenario again and again,
 * switching threads at every access to shared memory in a different order each time, and reports
 * the interleaving that breaks an assertion. The rings are small and on the heap ({@link
 * HeapMemory}); the code under test is {@link Ring}'s own.
 *
 * <p>Each test was shown once to catch a broken variant of the ring (then put back):
 *
 * <ul>
 *   <li>{@code idle()} looking for bytes before it stores IDLE, not after (a reordered state
 *       write): the first test failed, with the interleaving in which the producer publishes
 *       between the two, sees the consumer still active, and does not ring;
 *   <li>{@code read()} freeing the bytes (storing the head) before it copies them out: the second
 *       test failed, reading {@code [1, 2, 7, 4, ...]}: the producer had overwritten a byte the
 *       consumer had yet to copy. (Not until the heap memory copied bytes through a {@code
 *       VarHandle}: the checker does not switch threads at plain array accesses.)
 * </ul>
 *
 * <p>{@code -Dparallel4j.lincheck.invocations=N} (3,000 by default) looks deeper.
 */
class RingModelCheckTest {
  /**
   * Interleavings tried per test; {@code -Dparallel4j.lincheck.invocations=N} for a deeper look.
   */
  static final int INVOCATIONS = Integer.getInteger("parallel4j.lincheck.invocations", 3_000);

  /** Both sides, each run in a thread of its own; joined before the assertions. */
  private static void race(Runnable a, Runnable b) {
    Thread ta = new Thread(a);
    Thread tb = new Thread(b);
    ta.start();
    tb.start();
    try {
      ta.join();
      tb.join();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Lincheck reports a thrown AssertionError with the interleaving (AssertJ confuses its trace).
   */
  private static void check(boolean holds, String otherwise) {
    if (!holds) {
      throw new AssertionError(otherwise);
    }
  }

  private static void publish(Ring.Out out, int... bytes) {
    try {
      for (int b : bytes) {
        out.write(b);
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The doorbell never loses a wake-up: a consumer going idle while the producer publishes twice
   * either sees the bytes and stays awake, or sleeps and is rung, exactly once for both publishes.
   * (The checker's first run of this test, with "stays awake" meaning "never rung", found the
   * interleaving that rings a consumer which then sees the bytes and stays awake: the producer
   * looks at the state between the consumer's IDLE and its look at the tail. That spare bell byte
   * only makes a later sleep end at once, with nothing to read, so it is allowed.)
   */
  @Test
  void aConsumerGoingIdleIsRungOnceOrSeesTheBytes() {
    Lincheck.runConcurrentTest(
        INVOCATIONS,
        () -> {
          Ring ring = new Ring(new HeapMemory(8), 0, 8);
          AtomicInteger rung = new AtomicInteger();
          Ring.Out out = ring.new Out(rung::incrementAndGet, () -> true);
          Ring.In in = ring.new In(() -> true);
          boolean[] sleeps = new boolean[1];
          race(
              () -> {
                publish(out, 1);
                publish(out, 2);
              },
              () -> sleeps[0] = in.idle());
          if (sleeps[0]) {
            check(rung.get() == 1, "a consumer that went to sleep was rung " + rung.get() + "x");
          } else {
            // it may have been rung, when the producer saw IDLE before the consumer saw the
            // bytes: a spare bell byte, which only wakes it once more for nothing
            check(rung.get() <= 1, "a consumer that stayed awake was rung " + rung.get() + "x");
            check(in.ready(), "a consumer that stayed awake does not see the bytes");
          }
        });
  }

  /**
   * Positions and wrap-around: frames larger than what is free stream through a ring of 4 bytes,
   * the producer waiting for space and the consumer for bytes, and every byte arrives once, in
   * order.
   */
  @Test
  void framesStreamThroughATinyRingInOrderAcrossWrapArounds() {
    Lincheck.runConcurrentTest(
        INVOCATIONS,
        () -> {
          Ring ring = new Ring(new HeapMemory(4), 0, 4);
          Ring.Out out = ring.new Out(() -> {}, () -> true);
          Ring.In in = ring.new In(() -> true);
          byte[] got = new byte[9];
          race(
              () -> {
                publish(out, 1, 2, 3);
                publish(out, 4, 5, 6, 7, 8, 9);
              },
              () -> {
                try {
                  for (int n = 0; n < got.length; ) {
                    n += in.read(got, n, got.length - n);
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
          check(
              java.util.Arrays.equals(got, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}),
              "read " + java.util.Arrays.toString(got));
          check(!in.ready(), "more to read than was written");
        });
  }
}
