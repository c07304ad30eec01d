package org.parallel4j.loops;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The helper threads of {@link Parallel} loops: daemon platform threads named {@code
 * parallel4j-loop-N}, started on demand up to the most helpers any loop has asked for, and ended
 * after 30 s without work. A loop asks for helpers by queueing itself once per helper wanted; a
 * helper takes a loop and joins it. A helper that finds the loop finished leaves.
 */
final class LoopPool {
  static final LoopPool SHARED = new LoopPool();
  private static final long KEEP_ALIVE_SECONDS = 30;
  private static final ThreadLocal<Boolean> IN_LOOP = new ThreadLocal<>();

  private final LinkedBlockingQueue<LoopRun> requests = new LinkedBlockingQueue<>();
  private final AtomicInteger helpers = new AtomicInteger();
  private final AtomicInteger idle = new AtomicInteger();
  private final AtomicInteger serial = new AtomicInteger();

  /** Whether the calling thread is running the body of a loop. */
  static boolean inLoop() {
    return IN_LOOP.get() != null;
  }

  /** Marks the calling thread as in a loop; returns whether it already was. */
  static boolean enter() {
    boolean nested = inLoop();
    if (!nested) {
      IN_LOOP.set(Boolean.TRUE);
    }
    return nested;
  }

  static void exit(boolean nested) {
    if (!nested) {
      IN_LOOP.remove();
    }
  }

  /**
   * Asks for {@code wanted} helpers to join {@code run}, starting threads while too few are idle;
   * never more helpers in all than the largest {@code wanted} asked for, so loops that follow one
   * another reuse the same threads.
   */
  void request(LoopRun run, int wanted) {
    for (int i = 0; i < wanted; i++) {
      requests.add(run);
    }
    int h;
    while (idle.get() < wanted && (h = helpers.get()) < wanted) {
      if (helpers.compareAndSet(h, h + 1)) {
        Thread.ofPlatform()
            .name("parallel4j-loop-" + serial.incrementAndGet())
            .daemon(true)
            .start(this::help);
      }
    }
  }

  /** Drops the requests for {@code run} that no helper has taken. */
  void withdraw(LoopRun run) {
    requests.removeIf(r -> r == run);
  }

  private void help() {
    try {
      while (true) {
        LoopRun run;
        idle.incrementAndGet();
        try {
          run = requests.poll(KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          return;
        } finally {
          idle.decrementAndGet();
        }
        if (run == null) {
          return;
        }
        run.run();
      }
    } finally {
      helpers.decrementAndGet();
    }
  }

  /** Helper threads alive now. */
  int helpers() {
    return helpers.get();
  }
}
