package org.parallel4j;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.Lincheck;
import org.junit.jupiter.api.Test;

/**
 * {@link Job}'s state machine under Lincheck's model checker, which runs each scenario again and
 * again, switching threads at every access to shared memory in a different order each time, and
 * reports the interleaving that breaks an assertion. A worker thread does what a {@link Lease} does
 * for a backend (hold, start, run the body, finish running, complete); other threads cancel, with
 * or without interruption, or fail the job as its deadline does.
 *
 * <p>What must hold in every interleaving: one outcome, the one its winner was told of; an
 * interrupt at most once, and only while the body runs (never after the worker has finished
 * running, where it would hit the worker's next job); a skip only without interruption.
 *
 * <p>Each was shown once to catch a broken variant of {@code Job} (then put back): {@code
 * finishRunning} not waiting out INTERRUPTING, and {@code interruptIfRunning} storing FINISHED
 * before it interrupts instead of after (a reordered state write). Each failed the first two tests,
 * "an interrupt came after the worker finished running", with the interleaving that does it. {@code
 * -Dparallel4j.lincheck.invocations=N} (3,000 by default) looks deeper.
 */
class JobModelCheckTest {
  static final int INVOCATIONS = Integer.getInteger("parallel4j.lincheck.invocations", 3_000);

  /**
   * Lincheck reports a thrown AssertionError with the interleaving (AssertJ confuses its trace).
   */
  private static void check(boolean holds, String otherwise) {
    if (!holds) {
      throw new AssertionError(otherwise);
    }
  }

  /** Runs each in a thread of its own and joins them all. */
  private static void race(Runnable... actors) {
    Thread[] threads = new Thread[actors.length];
    for (int i = 0; i < actors.length; i++) {
      threads[i] = new Thread(actors[i]);
      threads[i].start();
    }
    try {
      for (Thread t : threads) {
        t.join();
      }
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** The holder a backend would be: counts interrupts and skips, and catches late interrupts. */
  private static final class Holder implements Job.Holder {
    final AtomicInteger interrupts = new AtomicInteger();
    final AtomicInteger skips = new AtomicInteger();
    final AtomicBoolean workerFinished = new AtomicBoolean();
    final AtomicBoolean late = new AtomicBoolean();

    @Override
    public void interrupt() {
      interrupts.incrementAndGet();
      if (workerFinished.get()) {
        late.set(true);
      }
    }

    @Override
    public void skip() {
      skips.incrementAndGet();
    }

    /** A worker running the job as a lease has it run; returns whether the body ran. */
    boolean work(Job<Integer> job) {
      if (!job.hold("test", "worker", this)) {
        return false;
      }
      job.started(1);
      job.finishRunning(); // the body has returned
      workerFinished.set(true);
      job.complete(42);
      return true;
    }

    void checkInterrupts() {
      check(!late.get(), "an interrupt came after the worker finished running");
      check(interrupts.get() <= 1, interrupts.get() + " interrupts");
    }
  }

  @Test
  void aCancelWithInterruptRacingTheEndOfARunInterruptsOnlyTheRun() {
    Lincheck.runConcurrentTest(
        INVOCATIONS,
        () -> {
          Job<Integer> job = new Job<>(null, 1, 0);
          Holder holder = new Holder();
          boolean[] cancelled = new boolean[1];
          race(() -> holder.work(job), () -> cancelled[0] = job.cancel(true));
          holder.checkInterrupts();
          check(holder.skips.get() == 0, "skipped, though cancelled with interruption");
          check(job.isDone(), "not done");
          check(cancelled[0] == job.isCancelled(), "cancel's answer is not the outcome");
          if (!cancelled[0]) {
            check(job.join() == 42, "completed with another result");
          }
        });
  }

  @Test
  void aDeadlineAndACancelRacingARunEndItOnceAndInterruptItOnce() {
    Lincheck.runConcurrentTest(
        INVOCATIONS,
        () -> {
          Job<Integer> job = new Job<>(null, 1, 0);
          Holder holder = new Holder();
          TaskTimeoutException overdue =
              new TaskTimeoutException("overdue", java.time.Duration.ofSeconds(1));
          boolean[] cancelled = new boolean[1];
          boolean[] failed = new boolean[1];
          race(
              () -> holder.work(job),
              () -> cancelled[0] = job.cancel(true),
              () -> failed[0] = job.failAndInterrupt(overdue));
          holder.checkInterrupts();
          check(!(cancelled[0] && failed[0]), "both the cancel and the deadline won");
          check(cancelled[0] == job.isCancelled(), "cancel's answer is not the outcome");
          Throwable error =
              job.state() == java.util.concurrent.Future.State.FAILED ? job.exceptionNow() : null;
          check(failed[0] == (error == overdue), "the deadline's answer is not the outcome");
          if (!cancelled[0] && !failed[0]) {
            check(job.join() == 42, "completed with another result");
          }
        });
  }

  @Test
  void aCancelWithoutInterruptSkipsAHeldJobAndNeverInterrupts() {
    Lincheck.runConcurrentTest(
        INVOCATIONS,
        () -> {
          Job<Integer> job = new Job<>(null, 1, 0);
          Holder holder = new Holder();
          boolean[] cancelled = new boolean[1];
          boolean[] ran = new boolean[1];
          race(() -> ran[0] = holder.work(job), () -> cancelled[0] = job.cancel(false));
          check(holder.interrupts.get() == 0, "interrupted, though cancelled without");
          check(holder.skips.get() <= 1, holder.skips.get() + " skips");
          check(holder.skips.get() == 0 || ran[0], "skipped a job that was never held");
          check(cancelled[0] == job.isCancelled(), "cancel's answer is not the outcome");
        });
  }
}
