package org.parallel4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.parallel4j.spi.WorkItem;

/**
 * The pending result of one task submitted to a {@link JobServer}: Parallel Python's job object, as
 * a {@link CompletableFuture}.
 *
 * <p>Beyond the future it carries an {@linkplain #id() id}, {@linkplain #ranOn() where it ran}, the
 * number of {@linkplain #attempts() attempts} and how long it {@linkplain #queuedTime() queued} and
 * {@linkplain #runTime() ran}. {@link #get()} returns the result or throws an {@code
 * ExecutionException} whose cause is the task's own exception, whatever its type: a task that
 * throws {@code CancellationException} fails its job, which {@link #isCancelled()} does not report
 * as cancelled, and a {@code CompletionException} it throws is the cause as it was thrown. (A
 * dependent stage, or {@code whenComplete} on the job, then sees that exception inside a {@code
 * CompletionException}.)
 *
 * <p>{@code cancel(true)} on a running job interrupts the thread that runs it (on worker processes
 * and nodes: the task there); {@code cancel(false)} only stops a job that has not started.
 * Dependent stages created with the {@code *Async} methods without an executor run on the job
 * server's callback threads, never on the JDK's common pool.
 *
 * <p>Thread-safe. Memory consistency effects: actions of the task happen-before the job completes,
 * and so before {@code get()} returns or any dependent stage runs.
 *
 * <h2>Implementation</h2>
 *
 * A small state machine beside the future's own result guards interruption, as in the JDK's {@code
 * FutureTask}: NEW, then RUNNING while a worker runs the body, then FINISHED. A cancel that finds
 * RUNNING moves it to INTERRUPTING, interrupts, then FINISHED; the worker, before it clears its
 * interrupt status, waits out INTERRUPTING, so no interrupt leaks into its next job.
 *
 * @param <R> the result type
 */
public class Job<R> extends CompletableFuture<R> {
  private static final int NEW = 0;
  private static final int RUNNING = 1;
  private static final int INTERRUPTING = 2;
  private static final int FINISHED = 3;
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(Job.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final JobServer server;
  private final long id;
  private final long submittedAt;
  // when the last attempt went back to the queue after a lost worker, or 0; published through
  // the queue to whoever takes the job again
  private long queuedAgainAt;
  private volatile int state;
  // Written by the backend that holds the job, before the CAS to RUNNING (lease, names) or before
  // the future completes (attempts, startedAt, endedAt), which publish them; a reader that sees
  // the job running or done sees them. Reads while the job runs are diagnostic.
  private Holder lease; // the attempt that holds the job: cancels reach its backend through it
  private String backend;
  private String worker;
  private int attempts;
  private long startedAt;
  private long endedAt;
  private volatile Thread interrupter; // the thread in interruptIfRunning, while INTERRUPTING
  private volatile WorkItem.WaitHelper helper; // the backend's, for threads that wait

  Job(JobServer server, long id, long submittedAt) {
    this.server = server;
    this.id = id;
    this.submittedAt = submittedAt;
  }

  /** The job's id, unique within its job server, in submission order. */
  public long id() {
    return id;
  }

  /**
   * Where the job ran, as {@code backend/worker} (for example {@code
   * threads/parallel4j-1-worker-2}); {@code null} while it has not started.
   */
  public String ranOn() {
    if (state == NEW && !isDone()) {
      return null;
    }
    String w = worker;
    return w == null ? null : backend + "/" + w;
  }

  /** How many times the job was started: 1 unless a worker failed and the job was retried. */
  public int attempts() {
    acquire();
    return attempts;
  }

  /** The time between submission and the start of the last attempt, or until now. */
  public Duration queuedTime() {
    acquire();
    long start = startedAt;
    return Duration.ofNanos(
        Math.max(0, (start != 0 ? start : server.ticker().read()) - submittedAt));
  }

  /** The nanoseconds between submission and the last attempt's start; for the server's totals. */
  long queuedNanos() {
    // this attempt's wait: since the submit, or since it went back to the queue after a lost
    // worker. A worker that dates its start by the end of its last job (ThreadBackend, saving a
    // clock read) may date it before a submit that came in between: queued for no time, not less
    long since = queuedAgainAt != 0 ? queuedAgainAt : submittedAt;
    return Math.max(0, startedAt - since);
  }

  /** The time the last attempt has run, {@link Duration#ZERO} if it has not started. */
  public Duration runTime() {
    acquire();
    long start = startedAt;
    if (start == 0) {
      return Duration.ZERO;
    }
    long end = endedAt;
    return Duration.ofNanos((end != 0 ? end : server.ticker().read()) - start);
  }

  /** Volatile reads of the state and the result: see the fields published with them. */
  private void acquire() {
    int unused = state; // sees what was written before RUNNING
    isDone(); // sees what was written before completion
  }

  /** The job server that runs this job. */
  public JobServer server() {
    return server;
  }

  /**
   * Cancels the job. A job that has not started will not run; with {@code mayInterruptIfRunning} a
   * running one is interrupted. Either way the job completes at once with a {@link
   * java.util.concurrent.CancellationException}.
   */
  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    if (cancelled && mayInterruptIfRunning) {
      interruptIfRunning();
    } else if (cancelled && state == RUNNING) {
      lease.skip(); // it may still wait in its worker's queue: skip it there
    }
    return cancelled;
  }

  /**
   * The form in which a task's own exception is stored, so that {@link #get()} throws {@code
   * ExecutionException} with exactly that cause, as {@link java.util.concurrent.Future} requires.
   * {@link CompletableFuture} alone would report a {@code CancellationException} thrown by the task
   * as a cancel ({@code isCancelled()} true, {@code get()} rethrowing it) and would unwrap a {@code
   * CompletionException}: both are stored inside a {@code CompletionException} of their own, which
   * {@code get()} takes off again. Any other exception is stored as it is.
   */
  static Throwable asTaskFailure(Throwable error) {
    return error instanceof CancellationException || error instanceof CompletionException
        ? new CompletionException(error)
        : error;
  }

  /** Fails the job with {@code error} and interrupts it if it is running; false if done. */
  boolean failAndInterrupt(Throwable error) {
    boolean failed = completeExceptionally(error);
    if (failed) {
      interruptIfRunning();
    }
    return failed;
  }

  private void interruptIfRunning() {
    if (STATE.compareAndSet(this, RUNNING, INTERRUPTING)) {
      interrupter = Thread.currentThread(); // a backend may end the job from within the cancel
      try {
        lease.interrupt();
      } finally {
        interrupter = null;
        state = FINISHED; // releases the worker waiting in finishRunning
      }
    }
  }

  /**
   * Waits for the job and returns its result; first, on a backend that allows it, reads the result
   * off the worker's channel itself, which saves being woken by another thread.
   */
  @Override
  public R get() throws InterruptedException, ExecutionException {
    help();
    return super.get();
  }

  /** As {@link #get()}, waiting at most {@code timeout}. */
  @Override
  public R get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    help();
    return super.get(timeout, unit);
  }

  /** As {@link #get()}, with the unchecked exceptions of {@link CompletableFuture#join}. */
  @Override
  public R join() {
    help();
    return super.join();
  }

  private void help() {
    WorkItem.WaitHelper h = helper;
    if (h != null && !isDone()) {
      h.help(this::isDone);
    }
  }

  void awaitedWith(WorkItem.WaitHelper helper) {
    this.helper = helper;
  }

  /** The job server's callback executor: the default for the {@code *Async} stages. */
  @Override
  public Executor defaultExecutor() {
    return server.callbackExecutor();
  }

  /** Dependent stages keep the job server's callback executor as their default. */
  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new ServerFuture<>(server);
  }

  @Override
  public String toString() {
    String outcome;
    if (!isDone()) {
      outcome = state == NEW ? "queued" : startedAt == 0 ? "waiting in its worker" : "running";
    } else if (isCancelled()) {
      outcome = "cancelled";
    } else if (isCompletedExceptionally()) {
      outcome = "failed";
    } else {
      outcome = "completed";
    }
    String where = ranOn();
    return String.format(
        "job %d (%s%s, attempts=%d, queued=%.3f ms, ran=%.3f ms)",
        id,
        outcome,
        where == null ? "" : " on " + where,
        attempts,
        queuedTime().toNanos() / 1e6,
        runTime().toNanos() / 1e6);
  }

  // ---- called by a Lease on behalf of a backend ---------------------------------------------

  /**
   * The job is held by {@code lease}, on {@code workerName} of {@code backendName}: cancels reach
   * it there from now on. False when it was cancelled first.
   */
  boolean hold(String backendName, String workerName, Holder lease) {
    if (isDone()) {
      return false;
    }
    this.lease = lease;
    this.backend = backendName;
    this.worker = workerName;
    if (!STATE.compareAndSet(this, NEW, RUNNING)) {
      return false;
    }
    if (isDone()) { // cancelled between the check above and RUNNING: cancel saw NEW, so undo
      finishRunning();
      return false;
    }
    return true;
  }

  /** The holder began to run the job at {@code now}: an attempt, and the run time, start. */
  void started(long now) {
    this.attempts = attempts + 1; // only the one backend that holds the job writes it
    this.endedAt = 0;
    this.startedAt = now;
  }

  /** The body has returned: wait out an interrupt in progress so that none leaks past here. */
  void finishRunning() {
    if (!STATE.compareAndSet(this, RUNNING, FINISHED)) {
      // the thread that interrupts may end the job itself (a backend that drops a job it never
      // sent, inside the cancel): it must not wait for its own interrupt to finish
      while (state == INTERRUPTING && interrupter != Thread.currentThread()) {
        Thread.onSpinWait();
      }
    }
  }

  /** The attempt was lost and the job goes back to the queue: it may be held again. */
  void rearm() {
    finishRunning();
    queuedAgainAt = server.ticker().read(); // this attempt queues from now (before the state)
    state = NEW;
  }

  void ended(long now) {
    endedAt = now;
  }

  long startedAt() {
    return startedAt;
  }

  /** The worker of the last attempt, as its backend named it; null before any. */
  String workerName() {
    return worker;
  }

  /** What holds a running job (a {@link Lease}): the state machine's way to its backend. */
  interface Holder {
    /** Interrupts the running job; called while the state is INTERRUPTING, at most once. */
    void interrupt();

    /** Asks the backend to drop the job where it waits to start, if it still waits. */
    void skip();
  }

  /** A dependent stage of a job: it keeps the job server's callback executor as default. */
  static final class ServerFuture<T> extends CompletableFuture<T> {
    private final JobServer server;

    ServerFuture(JobServer server) {
      this.server = server;
    }

    @Override
    public Executor defaultExecutor() {
      return server.callbackExecutor();
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
      return new ServerFuture<>(server);
    }
  }
}
