package org.parallel4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import org.parallel4j.observe.Recorder;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.JobControl;
import org.parallel4j.spi.TaskBody;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkerHandle;
import org.parallel4j.spi.WorkerLoss;

/**
 * One attempt at a job by one backend: the server's side of a {@link WorkItem}. Made when a backend
 * takes the job; ended exactly once, by the backend's outcome, by the loss of its worker or
 * backend, by its deadline, by a release, or by a cancel while it was still queued.
 *
 * <h2>Implementation</h2>
 *
 * <b>State.</b> TAKEN, then HELD (the job is held by this lease: cancels reach the backend through
 * its control), then STARTED (an attempt counts, run time and deadline run), then ENDED. Whoever
 * moves the lease to ENDED ends it; anyone else finds it ENDED and does nothing, so a late outcome
 * is dropped, and a start reported after a loss changes nothing.
 *
 * <p><b>Worker lists.</b> An assigned lease is linked into its worker's list ({@link Lane.Worker})
 * until it ends, so that a loss finds it. {@code assign} holds the job first, then links the lease,
 * then reads the worker's lost flag (and the lane's closed flag); a loss sets its flag first, then
 * walks the list. So either the loss finds the lease, or the assignment sees the loss and ends the
 * lease itself; and a loss never sends back a job that a lease has not held yet. A lease taken and
 * not assigned belongs to its backend's thread alone. A lease of a local backend is linked nowhere:
 * its one worker thread ends it, and a deadline fails the job and interrupts the thread, whose
 * return then ends the lease.
 */
final class Lease implements WorkItem, Job.Holder {
  private static final int TAKEN = 0;
  private static final int HELD = 1;
  private static final int STARTED = 2;
  private static final int ENDED = 3;
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(Lease.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Work work;
  private final Lane lane;
  private volatile int state;
  private volatile Lane.Worker worker; // null until assigned, and for local backends
  private JobControl control; // written before the job is held, which publishes it
  private volatile ScheduledFuture<?> deadline; // set at the start, if the job has one
  private volatile boolean timedOut; // a local backend's job, failed by its deadline: counted
  Lease prev; // in its worker's list: guarded by that Lane.Worker
  Lease next;

  Lease(Work work, Lane lane) {
    this.work = work;
    this.lane = lane;
  }

  Job<Object> job() {
    return work.job;
  }

  Lane.Worker worker() {
    return worker;
  }

  @Override
  public long jobId() {
    return work.job.id();
  }

  @Override
  public TaskBody task() {
    return work.task;
  }

  @Override
  public Object argument() {
    return work.argument;
  }

  @Override
  public long deadlineNanos() {
    return work.deadlineNanos;
  }

  @Override
  public Object prepared(Backend by) {
    return work.preparedFor(by);
  }

  @Override
  public boolean assign(WorkerHandle handle, JobControl control) {
    Lane.Worker w;
    try {
      w = lane.own(handle);
    } catch (RuntimeException e) {
      release();
      throw e;
    }
    if (state != TAKEN) {
      throw new IllegalStateException(this + ": assigned twice");
    }
    this.control = control;
    worker = w;
    if (!work.job.hold(lane.backendName(), w.name(), this)) {
      state = ENDED;
      lane.dropped(); // cancelled while queued
      return false;
    }
    state = HELD;
    w.link(this); // then the flags: a loss sets its flag, then walks the list (see above)
    if (w.isLost() || lane.isClosed()) { // lost as we assigned: whichever ends the lease requeues
      lostAt(WorkerLoss.of("lost as the job was assigned"));
      return false;
    }
    return true;
  }

  @Override
  public void started() {
    startedAt(lane.now());
  }

  @Override
  public void started(long now) {
    startedAt(now);
  }

  private void startedAt(long now) {
    if (lane.isLocal()) {
      STATE.setRelease(this, STARTED); // its one thread is all that moves a local lease
    } else if (!STATE.compareAndSet(this, HELD, STARTED)) {
      return; // ended already (lost, given back): this start belongs to no attempt
    }
    work.job.started(now);
    if (Events.STARTED.isEnabled()) {
      Events.JobStarted e = new Events.JobStarted();
      e.server = lane.server().name();
      e.job = work.job.id();
      e.backend = lane.backendName();
      e.worker = work.job.workerName();
      e.attempt = work.job.attempts();
      e.queued = work.job.queuedTime().toNanos();
      e.commit();
    }
    long d = work.deadlineNanos;
    if (d != 0) {
      deadline = lane.schedule(this::overdue, d);
    }
  }

  @Override
  public boolean begin(String workerName, JobControl control) {
    return begin(workerName, control, lane.now());
  }

  @Override
  public boolean begin(String workerName, JobControl control, long now) {
    this.control = control;
    if (!work.job.hold(lane.backendName(), workerName, this)) {
      state = ENDED;
      lane.dropped();
      return false;
    }
    state = HELD;
    startedAt(now);
    return true;
  }

  @Override
  public Object runHere() throws Exception {
    return work.task.invoke(work.argument);
  }

  @Override
  public void awaitedWith(WaitHelper helper) {
    work.job.awaitedWith(helper);
  }

  @Override
  public boolean complete(Object result) {
    return endAt(result, null, lane.now());
  }

  @Override
  public boolean fail(Throwable error) {
    return endAt(null, error, lane.now());
  }

  @Override
  public boolean complete(Object result, long now) {
    return endAt(result, null, now);
  }

  @Override
  public boolean fail(Throwable error, long now) {
    return endAt(null, error, now);
  }

  /** Moves the lease to ENDED; returns the state it left, or ENDED if someone else ended it. */
  private int end() {
    int s;
    if (lane.isLocal()) { // no loss and no registry: its one thread ends it
      s = state;
      STATE.setRelease(this, ENDED);
      return s == ENDED ? ENDED : s;
    }
    do {
      s = state;
      if (s == ENDED) {
        return ENDED;
      }
    } while (!STATE.compareAndSet(this, s, ENDED));
    Lane.Worker w = worker;
    if (w != null) {
      w.unlink(this);
    }
    return s;
  }

  /**
   * Ends the lease with the backend's outcome ({@code error} null: {@code result}), read at {@code
   * now}; false, and nothing done, when the lease had already ended (a late outcome).
   */
  private boolean endAt(Object result, Throwable error, long now) {
    int was = end();
    if (was == ENDED) {
      return false;
    }
    finish(result, error, now, was == STARTED);
    return true;
  }

  /** Ends the job; the lease has ended. */
  private void finish(Object result, Throwable error, long now, boolean started) {
    ScheduledFuture<?> d = deadline;
    if (d != null) {
      d.cancel(false);
    }
    Job<Object> job = work.job;
    if (!started) { // a backend that did not report the start: it ran from now
      job.started(now);
    }
    job.finishRunning();
    lane.ended(this, now); // counted before the job completes: who sees it done sees it counted
    // so is how it ended, by the job's state as well as the backend's outcome: a job cancelled as
    // it ran may still return; one its deadline failed here (a local backend's) was counted then
    if (!timedOut && (!job.isDone() || job.isCancelled())) {
      Recorder.Outcome outcome =
          job.isCancelled()
              ? Recorder.Outcome.CANCELLED
              : error == null
                  ? Recorder.Outcome.COMPLETED
                  : error instanceof TaskTimeoutException
                      ? Recorder.Outcome.TIMED_OUT
                      : error instanceof WorkerCrashedException
                          ? Recorder.Outcome.CRASHED
                          : Recorder.Outcome.FAILED;
      counted(job, outcome, error, now);
    }
    if (error == null) {
      job.complete(result);
    } else {
      job.completeExceptionally(Job.asTaskFailure(error));
    }
    if (Events.ENDED.isEnabled()) {
      Events.JobEnded e = new Events.JobEnded();
      e.server = lane.server().name();
      e.job = job.id();
      e.backend = lane.backendName();
      e.worker = job.workerName();
      e.outcome = error == null ? "completed" : job.isCancelled() ? "cancelled" : "failed";
      e.runTime = now - job.startedAt();
      e.attempts = job.attempts();
      e.commit();
    }
    lane.retired();
  }

  /** Counts how the job ended, and puts it on the dashboard's stream: before it completes. */
  private void counted(Job<Object> job, Recorder.Outcome outcome, Throwable error, long now) {
    Counters c = lane.server().counters();
    if (outcome == Recorder.Outcome.CANCELLED) {
      c.cancelledRunning.increment();
    } else if (outcome != Recorder.Outcome.COMPLETED) {
      c.failed.increment();
    }
    Recorder r = lane.server().recorder();
    if (r != null) {
      r.ended(lane.backendName(), job.workerName(), job.id(), job.startedAt(), now, outcome, error);
    }
  }

  @Override
  public void release() {
    int was = end();
    if (was != ENDED) {
      requeue(was, null);
    }
  }

  /**
   * Takes back a lease that the backend declined at once ({@link Backend#offer} said no): true if
   * it was still taken, false if the backend had assigned it before it declined (it then owns it).
   */
  boolean withdraw() {
    return STATE.compareAndSet(this, TAKEN, ENDED);
  }

  @Override
  public void cancel() {
    work.job.cancel(true);
  }

  @Override
  public int attempt() {
    return work.job.attempts();
  }

  /** Cancel with interruption, from the job's state machine. */
  @Override
  public void interrupt() {
    control.cancel(this, true);
  }

  /** Cancel without interruption of a held job: it may still wait in its worker. */
  @Override
  public void skip() {
    control.cancel(this, false);
  }

  /**
   * The lease's worker, or its whole backend, was lost. A job that had started counts the attempt:
   * it runs again or, with no attempt left, fails naming the loss; one that had not goes back
   * uncounted.
   */
  void lostAt(WorkerLoss loss) {
    int was = end();
    if (was == ENDED) {
      return;
    }
    WorkerCrashedException failure = null;
    if (was == STARTED) {
      Lane.Worker w = worker;
      failure =
          new WorkerCrashedException(
              lane.backendName(),
              w == null ? "?" : w.name(),
              loss.pid(),
              loss.exit(),
              jobId(),
              work.job.attempts(),
              loss.lastLines());
    }
    requeue(was, failure);
  }

  /**
   * Sends the job back to the queue for another lease, or ends it if it cannot run again; the lease
   * has ended, having been in state {@code was}.
   */
  private void requeue(int was, Throwable failure) {
    ScheduledFuture<?> d = deadline;
    if (d != null) {
      d.cancel(false);
    }
    JobServer server = lane.server();
    Job<Object> job = work.job;
    if (was == TAKEN) { // never held: the job is as it was in the queue
      server.requeue(work);
      return;
    }
    if (server.isStopping()) { // shutdownNow: the job ends cancelled
      job.cancel(false);
    }
    if (job.isDone()) { // cancelled while it was held: nothing to run again
      job.finishRunning();
      lane.dropped();
      return;
    }
    if (was == STARTED && job.attempts() >= server.maxAttempts()) {
      finish(null, failure, lane.now(), true);
      return;
    }
    Recorder r = server.recorder();
    if (r != null && failure != null) { // the attempt that its worker's loss ended, on the stream
      r.ended(
          lane.backendName(),
          job.workerName(),
          job.id(),
          job.startedAt(),
          lane.now(),
          Recorder.Outcome.CRASHED,
          failure);
    }
    job.rearm();
    server.counters().retried.increment();
    if (Events.RETRIED.isEnabled()) {
      Events.JobRetried e = new Events.JobRetried();
      e.server = server.name();
      e.job = job.id();
      e.attempts = job.attempts();
      e.counted = was == STARTED;
      e.commit();
    }
    server.requeue(work);
  }

  /** The job ran past its deadline, counted from its start on this lease. */
  private void overdue() {
    Job<Object> job = work.job;
    boolean local = lane.isLocal();
    if (local) {
      if (state == STARTED && !job.isDone()) {
        TaskTimeoutException e = timeout(control.stopOverdue(this));
        timedOut = true; // its thread's return counts nothing more
        counted(job, Recorder.Outcome.TIMED_OUT, e, lane.now()); // before the job fails
        // on a callback thread: the job's callbacks must not hold up the timer's other deadlines
        lane.server().callbackExecutor().execute(() -> job.failAndInterrupt(e));
      }
      return;
    }
    if (state != STARTED || end() != STARTED) {
      return; // it ended, or its worker was lost, as the deadline came
    }
    String how = control.stopOverdue(this);
    deadline = null; // this is it
    long now = lane.now();
    TaskTimeoutException e = timeout(how);
    lane.server().callbackExecutor().execute(() -> finish(null, e, now, true));
  }

  private TaskTimeoutException timeout(String how) {
    Duration limit = Duration.ofNanos(work.deadlineNanos);
    return new TaskTimeoutException(
        lane.server().name()
            + ": job "
            + jobId()
            + " ran past its deadline of "
            + limit.toMillis()
            + " ms and "
            + how,
        limit);
  }

  @Override
  public String toString() {
    Lane.Worker w = worker;
    return "lease of job "
        + jobId()
        + " on "
        + lane.backendName()
        + (w == null ? "" : "/" + w.name())
        + " ("
        + switch (state) {
          case TAKEN -> "taken";
          case HELD -> "held";
          case STARTED -> "started";
          default -> "ended";
        }
        + ")";
  }
}
