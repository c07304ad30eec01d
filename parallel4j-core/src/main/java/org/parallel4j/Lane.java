package org.parallel4j;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.BackendContext;
import org.parallel4j.spi.Codec;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkSource;
import org.parallel4j.spi.WorkerHandle;
import org.parallel4j.spi.WorkerLoss;

/**
 * One backend's place in a job server: its view of the queue, the context it was started with, the
 * leases it holds, and its share of the stats.
 *
 * <h2>Implementation</h2>
 *
 * <b>Leases.</b> Every item taken through this lane is a new {@link Lease}. A lease assigned to a
 * registered {@link Worker} is linked into that worker's list until it ends, so a lost worker's
 * jobs, and a lost backend's, are found here, not in the backend: a doubly linked list through the
 * leases themselves, under the worker's lock, which costs no allocation per job. A lease taken and
 * not yet assigned is its backend's thread's to assign or release; assignment re-checks the loss
 * after linking, so none slips through (see {@link Lease}). A local backend's leases are kept
 * nowhere: its threads cannot be lost.
 *
 * <p><b>Closing.</b> A lane that is removed, or whose backend was lost, hands out nothing more: an
 * item it takes from the queue after that goes straight back.
 */
final class Lane implements WorkSource, BackendContext {
  private final JobServer server;
  private final Backend backend;
  private final String backendName;
  private final boolean local;
  private final java.util.List<Worker> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final LongAdder jobs = new LongAdder();
  private final LongAdder nanos = new LongAdder();
  // per worker name, for a backend that asks for it (Backend.statsPerWorker); else empty
  private final java.util.Map<String, Tally> tallies =
      new java.util.concurrent.ConcurrentSkipListMap<>();

  /** Jobs run and their time, under one worker name. */
  static final class Tally {
    final LongAdder jobs = new LongAdder();
    final LongAdder nanos = new LongAdder();
  }

  private volatile boolean closed;
  private volatile boolean started; // its backend's start returned
  private final java.util.concurrent.atomic.AtomicBoolean stopping =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.CompletableFuture<Void> stopped =
      new java.util.concurrent.CompletableFuture<>();

  Lane(JobServer server, Backend backend) {
    this.server = server;
    this.backend = backend;
    this.backendName = backend.name();
    this.local = backend.isLocal();
  }

  JobServer server() {
    return server;
  }

  Backend backend() {
    return backend;
  }

  String backendName() {
    return backendName;
  }

  boolean isLocal() {
    return local;
  }

  // ---- the queue as this backend sees it ----------------------------------------------------

  private Lease lease(Work w) {
    if (w == null) {
      return null;
    }
    if (closed) { // removed or lost: the job goes to another backend
      server.requeue(w);
      return null;
    }
    return new Lease(w, this); // if the lane closes now, assign sees it
  }

  @Override
  public WorkItem poll() {
    return lease(server.queue().poll());
  }

  /** The next item; on a lane that was closed, waits until interrupted (its backend stops). */
  @Override
  public WorkItem take() throws InterruptedException {
    while (true) {
      if (closed) {
        new java.util.concurrent.CountDownLatch(1).await(); // until the shutdown's interrupt
      }
      Lease l = lease(server.queue().take());
      if (l != null) {
        return l;
      }
    }
  }

  @Override
  public WorkItem poll(long timeout, TimeUnit unit) throws InterruptedException {
    return lease(server.queue().poll(timeout, unit));
  }

  @Override
  public boolean isEmpty() {
    return closed || server.queue().isEmpty();
  }

  /** Offers a new job to this backend directly; true if it took it. */
  boolean offer(Work w) {
    if (closed || !backend.mayTakeOffer()) {
      return false;
    }
    Lease l = new Lease(w, this);
    if (backend.offer(l)) {
      return true;
    }
    return !l.withdraw(); // false unless the backend assigned it and then let it go
  }

  // ---- the context --------------------------------------------------------------------------

  @Override
  public String serverName() {
    return server.name();
  }

  @Override
  public WorkSource source() {
    return this;
  }

  @Override
  public long now() {
    return server.ticker().read();
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
    return server.schedule(action, delayNanos);
  }

  @Override
  public int maxAttempts() {
    return server.maxAttempts();
  }

  @Override
  public System.Logger logger() {
    return JobServer.logger();
  }

  @Override
  public Codec codec() {
    return server.codec();
  }

  @Override
  public WorkerHandle worker(String name) {
    if (local) {
      throw new IllegalStateException(
          backendName + ": a local backend's workers cannot be lost, so it registers none");
    }
    Worker w =
        new Worker(
            name,
            backend.statsPerWorker() ? tallies.computeIfAbsent(name, n -> new Tally()) : null);
    workers.add(w);
    if (Events.WORKER_STARTED.isEnabled()) {
      Events.WorkerStarted e = new Events.WorkerStarted();
      e.server = server.name();
      e.backend = backendName;
      e.worker = name;
      e.commit();
    }
    return w;
  }

  @Override
  public void lost(WorkerLoss loss) {
    closed = true; // first: a lease assigned from now on sees it
    server.lost(this); // each worker counts its loss
    for (Worker w : workers) {
      w.lost(loss);
    }
  }

  // ---- leases -------------------------------------------------------------------------------

  /** This lane's own worker record behind {@code handle}. */
  Worker own(WorkerHandle handle) {
    if (handle instanceof Worker w && w.lane() == this) {
      return w;
    }
    throw new IllegalArgumentException(
        "worker: " + handle + " (expected: a worker registered by " + backendName + ")");
  }

  boolean isClosed() {
    return closed;
  }

  /** How many jobs this backend holds; for a local backend, those its workers run. */
  int held() {
    if (local) {
      return backend.busy();
    }
    int n = 0;
    for (Worker w : workers) {
      n += w.held();
    }
    return n;
  }

  /** Marks the lane closed: it hands out no more work. */
  void close() {
    closed = true;
  }

  /** Its backend has started: {@link #stop} may shut it down. */
  void started() {
    started = true;
  }

  /**
   * Shuts the backend down, once, however many ask; the future completes when it has stopped and
   * any lease it still held has gone back. A lane whose backend has not started yet is shut down by
   * whoever starts it, once it sees the server stopping.
   */
  java.util.concurrent.CompletableFuture<Void> stop() {
    if (started && stopping.compareAndSet(false, true)) {
      try {
        backend.shutdown(
            () -> {
              reclaimAll();
              stopped.complete(null);
            });
      } catch (RuntimeException e) {
        JobServer.logger().log(System.Logger.Level.WARNING, backendName + ": shutdown threw", e);
        reclaimAll();
        stopped.complete(null);
      }
    }
    return stopped;
  }

  /** Its backend never started, or was lost: nothing to wait for. */
  void stopped() {
    stopped.complete(null);
  }

  /** Leases still held once the backend has terminated: none should be; any go back. */
  void reclaimAll() {
    for (Worker w : workers) {
      w.lost(WorkerLoss.of("its backend " + backendName + " stopped while holding it"));
    }
  }

  // ---- accounting ---------------------------------------------------------------------------

  /**
   * The body has returned: account its time to this backend, before the job completes, so that
   * whoever sees the job complete sees it counted.
   */
  void ended(Lease l, long now) {
    Job<Object> job = l.job();
    job.ended(now);
    jobs.increment();
    long ran = now - job.startedAt();
    nanos.add(ran);
    server.counters().queueNanos.add(job.queuedNanos());
    Worker w = l.worker();
    if (w != null && w.tally != null) {
      w.tally.jobs.increment();
      w.tally.nanos.add(ran);
    }
  }

  /** Jobs and time per worker name, in name order; empty unless the backend asked for them. */
  java.util.Map<String, Tally> tallies() {
    return tallies;
  }

  /** The job has completed and its callbacks have run. */
  void retired() {
    server.retire();
  }

  /** A job ended without running: cancelled while queued or held. */
  void dropped() {
    server.dropped();
    server.retire();
  }

  long jobs() {
    return jobs.sum();
  }

  long nanos() {
    return nanos.sum();
  }

  /**
   * The server's record of one worker of this lane's backend: the leases assigned to it, linked
   * through the leases' own fields under this record's lock.
   */
  final class Worker implements WorkerHandle {
    private final String name;
    final Tally tally; // null unless the backend asked for stats per worker
    private volatile boolean lost;
    private Lease head; // guarded by this
    private int held; // guarded by this

    Worker(String name, Tally tally) {
      this.name = name;
      this.tally = tally;
    }

    Lane lane() {
      return Lane.this;
    }

    @Override
    public String name() {
      return name;
    }

    boolean isLost() {
      return lost;
    }

    /** Links an assigned lease. */
    synchronized void link(Lease l) {
      l.next = head;
      if (head != null) {
        head.prev = l;
      }
      head = l;
      held++;
    }

    /** Unlinks an ended lease; does nothing if it is not linked. */
    synchronized void unlink(Lease l) {
      if (l.prev == null && head != l) {
        return; // not linked: never linked, or unlinked already
      }
      if (l.prev != null) {
        l.prev.next = l.next;
      } else {
        head = l.next;
      }
      if (l.next != null) {
        l.next.prev = l.prev;
      }
      l.prev = null;
      l.next = null;
      held--;
    }

    private synchronized Lease[] snapshot() {
      Lease[] all = new Lease[held];
      int i = 0;
      for (Lease l = head; l != null; l = l.next) {
        all[i++] = l;
      }
      return all;
    }

    @Override
    public void lost(WorkerLoss loss) {
      boolean first = !lost;
      lost = true; // first: a lease assigned from now on sees it (Lease.assign)
      workers.remove(this);
      Lease[] held = snapshot();
      if (first && (held.length > 0 || !loss.exit().equals("exit code 0"))) {
        server.counters().lost(loss); // a worker that left cleanly, holding nothing, is no loss
      }
      if (Events.WORKER_ENDED.isEnabled()) {
        Events.WorkerEnded e = new Events.WorkerEnded();
        e.server = server.name();
        e.backend = backendName;
        e.worker = name;
        e.exit = loss.exit();
        e.pid = loss.pid();
        e.jobsHeld = held.length;
        e.commit();
      }
      for (Lease l : held) {
        l.lostAt(loss);
      }
    }

    @Override
    public synchronized int held() {
      return held;
    }

    @Override
    public String toString() {
      return backendName + "/" + name + (lost ? " (lost)" : "");
    }
  }
}
