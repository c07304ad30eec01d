package org.parallel4j;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.JobControl;
import org.parallel4j.spi.TaskBody;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkerHandle;
import org.parallel4j.spi.WorkerLoss;

/**
 * One attempt at a job by one backend: the server's side of a {@link WorkItem}. Made when a backend
 * takes the job; ended exactly once, by the backend's outcome, by the loss of its worker or
 * backend, by its deadline, or by a cancel while it was still queued.
 *
 * <h2>Implementation</h2>
 *
 * <b>Who ends it.</b> A lease of a backend that can lose workers is kept in its {@link Lane}'s
 * registry from when it is taken until it ends; whoever removes it from the registry ends it (the
 * outcome, the loss of its worker, its deadline), so a late outcome finds it gone and is dropped. A
 * lease of a local backend is kept nowhere: its one worker thread ends it, and a deadline fails the
 * job and interrupts the thread, whose return then ends the lease.
 *
 * <p><b>Events.</b> {@code assign} binds it to a worker and makes the job cancellable through the
 * backend's control; {@code started} counts the attempt and starts the run time and the deadline;
 * {@code begin} does both at once for local threads.
 */
final class Lease implements WorkItem {
  private final Work work;
  private final Lane lane;
  private volatile Lane.Worker worker; // null until assigned, and for local backends
  private JobControl control; // written before the job is held, which publishes it
  private volatile boolean started;
  private volatile ScheduledFuture<?> deadline; // set at the start, if the job has one

  Lease(Work work, Lane lane) {
    this.work = work;
    this.lane = lane;
  }

  Job<Object> job() {
    return work.job;
  }

  Work work() {
    return work;
  }

  Lane.Worker worker() {
    return worker;
  }

  boolean isStarted() {
    return started;
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
    Lane.Worker w = lane.own(handle);
    this.control = control;
    if (!work.job.hold(lane.backendName(), w.name(), this)) {
      lane.dropped(this);
      return false;
    }
    worker = w; // then the flag: Lane.Worker.lost sets it, then looks for its leases
    if (w.isLost()) { // lost as we assigned: whichever of us forgets the lease requeues it
      if (lane.forget(this)) {
        requeue(false, null);
      }
      return false;
    }
    return true;
  }

  @Override
  public void started() {
    startedAt(lane.now());
  }

  /** As {@link #started()}, with the clock already read. */
  void startedAt(long now) {
    work.job.started(now);
    started = true;
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
      lane.dropped(this);
      return false;
    }
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

  /**
   * Ends the lease with the backend's outcome ({@code error} null: {@code result}), read at {@code
   * now}; false, and nothing done, when the lease had already ended (a late outcome).
   */
  boolean endAt(Object result, Throwable error, long now) {
    if (!lane.forget(this)) {
      return false;
    }
    finish(result, error, now);
    return true;
  }

  /** Ends the job; the lease has left the registry. */
  private void finish(Object result, Throwable error, long now) {
    ScheduledFuture<?> d = deadline;
    if (d != null) {
      d.cancel(false);
    }
    if (!started) { // a backend that did not report the start: it ran from now
      work.job.started(now);
      started = true;
    }
    Job<Object> job = work.job;
    job.finishRunning();
    lane.ended(this, now); // counted before the job completes: who sees it done sees it counted
    if (error == null) {
      job.complete(result);
    } else {
      job.completeExceptionally(error);
    }
    lane.retired();
  }

  @Override
  public void release() {
    if (lane.forget(this)) {
      requeue(false, null);
    }
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
  void interrupt() {
    control.cancel(this, true);
  }

  /** Cancel without interruption of a held job: it may still wait in its worker. */
  void skip() {
    control.cancel(this, false);
  }

  /**
   * The lease's worker, or its whole backend, was lost; the lease has left the registry. A job that
   * had started counts the attempt: it runs again or, with no attempt left, fails naming the loss.
   */
  void lost(WorkerLoss loss) {
    boolean counted = started;
    WorkerCrashedException failure = null;
    if (counted) {
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
    requeue(counted, failure);
  }

  /** Sends the job back to the queue for another lease, or ends it if it cannot run again. */
  private void requeue(boolean counted, Throwable failure) {
    ScheduledFuture<?> d = deadline;
    if (d != null) {
      d.cancel(false);
    }
    JobServer server = lane.server();
    Job<Object> job = work.job;
    if (server.isStopping()) { // shutdownNow: the job ends cancelled
      job.cancel(false);
    }
    if (job.isDone()) { // cancelled while it was held: nothing to run again
      job.finishRunning();
      lane.droppedUnregistered();
      return;
    }
    if (counted && job.attempts() >= server.maxAttempts()) {
      finish(null, failure, lane.now());
      return;
    }
    job.rearm();
    server.requeue(work);
  }

  /** The job ran past its deadline, counted from its start on this lease. */
  private void overdue() {
    Job<Object> job = work.job;
    if (job.isDone()) {
      return;
    }
    boolean local = lane.isLocal();
    if (!local && !lane.forget(this)) {
      return; // it ended, or its worker was lost, as the deadline came
    }
    String how = control.stopOverdue(this);
    Duration limit = Duration.ofNanos(work.deadlineNanos);
    TaskTimeoutException e =
        new TaskTimeoutException(
            lane.server().name()
                + ": job "
                + jobId()
                + " ran past its deadline of "
                + limit.toMillis()
                + " ms and "
                + how,
            limit);
    if (local) {
      job.failAndInterrupt(e); // its thread's return ends the lease
    } else {
      deadline = null; // this is it
      finish(null, e, lane.now());
    }
  }

  @Override
  public String toString() {
    Lane.Worker w = worker;
    return "lease of job "
        + jobId()
        + " on "
        + lane.backendName()
        + (w == null ? "" : "/" + w.name());
  }
}
