package org.parallel4j;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.parallel4j.observe.Recorder;

/**
 * The progress of one bulk operation ({@code map}, {@code mapUnordered}, a group): counts its
 * inputs as their jobs end, reports to its {@link ProgressListener} at most every {@link
 * ProgressListener#INTERVAL_MILLIS} ms and once at the end, and shows on the server's dashboard.
 * Made only where someone listens ({@link #of} returns null otherwise), so an operation nobody
 * watches pays nothing. Thread-safe.
 */
final class Tracker implements Recorder.Bulk {
  private static final long INTERVAL_NANOS =
      TimeUnit.MILLISECONDS.toNanos(ProgressListener.INTERVAL_MILLIS);

  private final JobServer server;
  private final String kind;
  private final String name;
  private final ProgressListener listener; // or null: the dashboard alone watches
  private final Recorder recorder; // or null: the listener alone watches
  private final AtomicLong done = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong ended = new AtomicLong(); // done, and cancelled: a group ends with all
  private final AtomicLong total;
  private final long startedAt;
  // jobs not counted yet, with their inputs: whoever removes a job counts it, once (its callback,
  // or finish(), which may run before the callback of a job whose waiter woke first)
  private final Map<Job<?>, Integer> pending = new ConcurrentHashMap<>();
  private final AtomicBoolean over = new AtomicBoolean();
  private volatile long finishedAt;
  private volatile long lastReport; // guarded by this for writes
  private boolean broken; // guarded by this: the listener threw
  private volatile long id; // in the recorder

  private Tracker(
      JobServer server, String kind, String name, long total, ProgressListener listener) {
    this.server = server;
    this.kind = kind;
    this.name = name;
    this.total = new AtomicLong(total);
    this.listener = listener;
    this.recorder = server.recorder();
    this.startedAt = server.now();
    this.lastReport = startedAt - INTERVAL_NANOS;
    if (recorder != null && !kind.equals("group")) { // a group shows from its first job
      id = recorder.begin(this);
    }
  }

  /**
   * A tracker for an operation of {@code total} inputs ({@code -1}: not known) that runs {@code
   * fn}, or null when neither a listener nor a dashboard would see it.
   */
  static Tracker of(
      JobServer server, String kind, Object fn, long total, ProgressListener listener) {
    if (listener == null && server.recorder() == null) {
      return null;
    }
    return new Tracker(server, kind, nameOf(fn), total, listener);
  }

  /** A group's tracker, for the dashboard; null without one. */
  static Tracker ofGroup(JobServer server, String group) {
    return server.recorder() == null ? null : new Tracker(server, "group", group, 0, null);
  }

  /** A function as the page names it: its class, a lambda by the class that holds it. */
  static String nameOf(Object fn) {
    String n =
        fn instanceof Chunking.Chunk<?, ?> c
            ? c.fn().getClass().getName()
            : fn.getClass().getName();
    int lambda = n.indexOf("$$Lambda");
    if (lambda >= 0) {
      n = n.substring(0, lambda) + " lambda";
    }
    return n.substring(n.lastIndexOf('.') + 1);
  }

  /** Counts {@code job}'s {@code inputs} when it ends. */
  void track(Job<?> job, int inputs) {
    pending.put(job, inputs);
    job.whenComplete((r, e) -> count(job));
  }

  /**
   * Counts {@code job}, done, unless it was counted already; under this tracker's lock, so that the
   * last report, which takes it too, comes after any count in progress.
   */
  private synchronized void count(Job<?> job) {
    Integer inputs = pending.remove(job);
    if (inputs == null) {
      return;
    }
    ended.addAndGet(inputs);
    if (!job.isCancelled()) {
      ended(inputs, job.isCompletedExceptionally());
    } else if (kind.equals("group") && ended.get() == total.get()) {
      finish(); // a group whose last jobs were cancelled has finished too
    }
  }

  /** A job of the group was submitted: one more to wait for. */
  synchronized void added() {
    total.incrementAndGet();
    if (id == 0 || finishedAt != 0) { // its first job, or a group that had finished runs again
      finishedAt = 0;
      over.set(false);
      if (recorder != null) {
        id = recorder.begin(this);
      }
    }
  }

  /** The total is known now. */
  void total(long inputs) {
    total.set(inputs);
  }

  private void ended(int inputs, boolean failure) {
    done.addAndGet(inputs);
    if (failure) {
      failed.addAndGet(inputs);
    }
    if (kind.equals("group") && ended.get() == total.get()) {
      finish();
      return;
    }
    long now = server.now();
    if (listener != null && now - lastReport >= INTERVAL_NANOS && finishedAt == 0) {
      report(now, false);
    }
  }

  /** The operation has ended: the last report, once. */
  synchronized void finish() {
    for (Job<?> job : pending.keySet()) { // done, whose callbacks may not have run yet
      if (job.isDone()) {
        count(job);
      }
    }
    if (!over.compareAndSet(false, true)) {
      return;
    }
    long now = server.now();
    finishedAt = now;
    if (recorder != null) {
      recorder.finished(id);
    }
    if (listener != null) {
      report(now, true);
    }
  }

  private synchronized void report(long now, boolean last) {
    if (broken || (!last && (over.get() || now - lastReport < INTERVAL_NANOS))) {
      return;
    }
    lastReport = now;
    try {
      listener.onProgress(progress(now, last));
    } catch (RuntimeException e) {
      broken = true;
      JobServer.logger()
          .log(
              System.Logger.Level.WARNING,
              kind + " of " + name + ": its progress listener failed, and is told no more",
              e);
    }
  }

  Progress progress(long now, boolean last) {
    return new Progress(
        done.get(), total.get(), failed.get(), Duration.ofNanos(now - startedAt), last);
  }

  @Override
  public String kind() {
    return kind;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long done() {
    return done.get();
  }

  @Override
  public long total() {
    return total.get();
  }

  @Override
  public long failed() {
    return failed.get();
  }

  @Override
  public long startedAt() {
    return startedAt;
  }

  @Override
  public long finishedAt() {
    return finishedAt;
  }

  @Override
  public void cancel() {
    for (Job<?> job : pending.keySet()) {
      job.cancel(true);
    }
  }
}
