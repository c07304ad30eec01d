package org.parallel4j.observe;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What a job server's dashboard shows beyond its stats: the last jobs' spans (the task stream), the
 * last failures, and the bulk operations ({@code map}, {@code mapUnordered}, groups) with their
 * progress. The job server feeds it; the dashboard reads it. Exists only on a server built with a
 * dashboard, so a server without one pays a null check per job.
 *
 * <p>Spans are recorded only while someone watches (a request in the last {@link #WATCH_NANOS}): a
 * dashboard nobody looks at costs a job one volatile read. Failures and bulk operations are always
 * recorded, as they are few.
 *
 * <p>Thread-safe. Spans go into rings of {@link #SPANS} slots, one per stripe, whose slots writers
 * claim with one atomic increment of the stripe's counter; a reader may miss a span being written,
 * never sees a torn one (each is an immutable record).
 */
public final class Recorder {
  /**
   * The stripes spans are written to, by the recording thread's id: the threads that end jobs (a
   * thread backend's workers, a process backend's reader per worker) each write to their own, so
   * that they never contend for one counter or one cache line.
   */
  static final int STRIPES = 16;

  /** The spans kept per stripe: the last seconds of a busy worker, enough for the page. */
  static final int SPANS = 1 << 11;

  /** Longs between two stripes' counters: 128 bytes, two cache lines. */
  private static final int PAD = 16;

  private static final java.lang.invoke.VarHandle COUNTERS =
      java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);

  /** The failures kept. */
  static final int FAILURES = 20;

  /** The bulk operations shown as running at most: the oldest beyond are moved to finished. */
  static final int MAX_RUNNING = 256;

  /** The finished bulk operations kept. */
  static final int FINISHED = 20;

  /** How long after the last request spans are still recorded. */
  static final long WATCH_NANOS = 30_000_000_000L;

  /** How a job's attempt ended. */
  public enum Outcome {
    COMPLETED,
    FAILED,
    CANCELLED,
    TIMED_OUT,
    /** Its worker was lost while it ran; the job runs again or fails. */
    CRASHED
  }

  /** One attempt at a job, from its start to its end, on the server's clock. */
  public record Span(
      String backend, String worker, long job, long start, long end, Outcome outcome) {}

  /** A job's failure. */
  public record Failure(
      long job, String backend, String worker, long at, Outcome outcome, String error) {}

  /**
   * A bulk operation as its progress shows it: counts are read live. Implemented by the job
   * server's trackers.
   */
  public interface Bulk {
    /** {@code map}, {@code mapUnordered} or {@code group}. */
    String kind();

    /** What it runs: the function's class, or the group's name. */
    String name();

    /** Inputs (jobs, for a group) done, failures included. */
    long done();

    /** Inputs known so far; {@code -1} when not known yet (an endless stream). */
    long total();

    /** Inputs that failed. */
    long failed();

    /** When it began, on the server's clock. */
    long startedAt();

    /** When it finished, or 0 while it runs. */
    long finishedAt();

    /** Cancels what of it is still queued or running. */
    void cancel();
  }

  private final java.util.function.LongSupplier clock;
  private final AtomicReferenceArray<Span>[] spans = stripes();
  private final long[] nextSpan = new long[STRIPES * PAD]; // stripe i's at i * PAD
  private final ArrayDeque<Failure> failures = new ArrayDeque<>(); // guarded by itself
  private final AtomicLong bulkIds = new AtomicLong();
  private final Map<Long, Bulk> running = new ConcurrentHashMap<>();
  private final ArrayDeque<Bulk> finished = new ArrayDeque<>(); // guarded by itself
  private volatile long watchedUntil; // the clock's time until which spans are recorded

  @SuppressWarnings({"unchecked", "rawtypes"}) // an array of a generic type, filled here
  private static AtomicReferenceArray<Span>[] stripes() {
    AtomicReferenceArray<Span>[] all = new AtomicReferenceArray[STRIPES];
    for (int i = 0; i < STRIPES; i++) {
      all[i] = new AtomicReferenceArray<>(SPANS);
    }
    return all;
  }

  /** A recorder reading {@code clock}, the job server's ticker. */
  public Recorder(java.util.function.LongSupplier clock) {
    this.clock = clock;
    this.watchedUntil = clock.getAsLong(); // not watched yet (the clock's origin is arbitrary)
  }

  /** The clock's time now. */
  public long now() {
    return clock.getAsLong();
  }

  /** Someone looked: record spans for the next {@link #WATCH_NANOS}. */
  public void watched() {
    watchedUntil = now() + WATCH_NANOS;
  }

  /** Whether spans are being recorded. */
  boolean isWatched() {
    return now() - watchedUntil < 0;
  }

  /**
   * A job's attempt ended at {@code end}, having started at {@code start} on {@code worker} of
   * {@code backend}. {@code error} is null for a completed job.
   */
  public void ended(
      String backend,
      String worker,
      long job,
      long start,
      long end,
      Outcome outcome,
      Throwable error) {
    if (end - watchedUntil < 0) {
      int stripe = (int) Thread.currentThread().threadId() & (STRIPES - 1);
      long n = (long) COUNTERS.getAndAdd(nextSpan, stripe * PAD, 1L);
      spans[stripe].setRelease(
          (int) (n & (SPANS - 1)),
          new Span(backend, worker == null ? "?" : worker, job, start, end, outcome));
    }
    if (error != null && outcome != Outcome.CANCELLED) {
      Failure f = new Failure(job, backend, worker, end, outcome, describe(error));
      synchronized (failures) {
        if (failures.size() == FAILURES) {
          failures.removeFirst();
        }
        failures.addLast(f);
      }
    }
  }

  /** An exception as the page shows it: its class, message and causes, its first frames. */
  static String describe(Throwable error) {
    StringBuilder sb = new StringBuilder();
    int depth = 0;
    for (Throwable t = error; t != null && depth < 4; t = t.getCause(), depth++) {
      if (depth > 0) {
        sb.append("\ncaused by: ");
      }
      sb.append(t);
      StackTraceElement[] frames = t.getStackTrace();
      for (int i = 0; i < Math.min(frames.length, 6); i++) {
        sb.append("\n    at ").append(frames[i]);
      }
    }
    return sb.length() > 8192 ? sb.substring(0, 8192) + "\n..." : sb.toString();
  }

  /** Spans that ended after {@code since} (the clock's time), oldest first. */
  public List<Span> spansSince(long since) {
    List<Span> out = new ArrayList<>();
    for (AtomicReferenceArray<Span> stripe : spans) {
      for (int i = 0; i < SPANS; i++) {
        Span s = stripe.getAcquire(i);
        if (s != null && s.end() - since > 0) {
          out.add(s);
        }
      }
    }
    out.sort((a, b) -> Long.compare(a.end(), b.end()));
    return out;
  }

  /** The last failures, oldest first. */
  public List<Failure> failures() {
    synchronized (failures) {
      return List.copyOf(failures);
    }
  }

  /** Registers a bulk operation; returns its id, for {@link #finished} and the page's cancel. */
  public long begin(Bulk bulk) {
    synchronized (finished) { // a group that had finished and runs again
      finished.removeIf(b -> b == bulk);
    }
    long id = bulkIds.incrementAndGet();
    running.put(id, bulk);
    if (running.size() > MAX_RUNNING) { // a stream dropped unclosed never says it finished
      running.keySet().stream().min(Long::compare).ifPresent(this::finished);
    }
    return id;
  }

  /** The bulk operation {@code id} has finished: it moves to the finished list. */
  public void finished(long id) {
    Bulk b = running.remove(id);
    if (b != null) {
      synchronized (finished) {
        finished.removeIf(f -> f == b);
        if (finished.size() == FINISHED) {
          finished.removeFirst();
        }
        finished.addLast(b);
      }
    }
  }

  /** The bulk operations running, by id. */
  public Map<Long, Bulk> running() {
    return Map.copyOf(running);
  }

  /** The last finished bulk operations, oldest first. */
  public List<Bulk> finishedBulks() {
    synchronized (finished) {
      return List.copyOf(finished);
    }
  }

  /** Cancels the running bulk operation {@code id}; false if there is none. */
  boolean cancel(long id) {
    Bulk b = running.get(id);
    if (b == null) {
      return false;
    }
    b.cancel();
    return true;
  }

  /** Drops finished bulk operations from the running list that forgot to say so. */
  void sweep() {
    for (Iterator<Map.Entry<Long, Bulk>> it = running.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Bulk> e = it.next();
      if (e.getValue().finishedAt() != 0) {
        finished(e.getKey());
      }
    }
  }
}
