package org.parallel4j;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * <b>Leases.</b> Every item taken through this lane is a new {@link Lease}. For a backend that can
 * lose workers ({@link Backend#isLocal()} false) the lease stays in {@link #leases} until it ends;
 * removal from that set decides who ends it (see {@link Lease}), so a lost worker's jobs are found
 * here, not in the backend. A local backend's leases are kept nowhere: its threads cannot be lost,
 * and its hot path pays for no registry.
 *
 * <p><b>Closing.</b> A lane that is removed, or whose backend was lost, hands out nothing more: an
 * item it takes from the queue after that goes straight back.
 */
final class Lane implements WorkSource, BackendContext {
  private final JobServer server;
  private final Backend backend;
  private final String backendName;
  private final boolean local;
  private final Set<Lease> leases; // null for a local backend
  private final LongAdder jobs = new LongAdder();
  private final LongAdder nanos = new LongAdder();
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
    this.leases = local ? null : ConcurrentHashMap.newKeySet();
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
    Lease l = new Lease(w, this);
    if (leases != null) {
      leases.add(l);
      if (closed) { // closed as we added it: its loss may not have seen it; one of us requeues
        l.release();
        return null;
      }
    }
    return l;
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
    if (closed) {
      return false;
    }
    Lease l = new Lease(w, this);
    if (leases != null) {
      leases.add(l);
    }
    if (backend.offer(l)) {
      return true;
    }
    return !l.withdraw(); // a loss that ended it first has dealt with the job
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
    return new Worker(name);
  }

  @Override
  public void lost(WorkerLoss loss) {
    closed = true; // first: a lease taken or assigned from now on sees it
    server.lost(this);
    if (leases != null) {
      for (Lease l : leases) {
        l.lostAt(loss);
      }
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

  /** Takes an ended lease out of the registry. */
  void forget(Lease l) {
    if (leases != null) {
      leases.remove(l);
    }
  }

  boolean isClosed() {
    return closed;
  }

  /** How many jobs this backend holds; for a local backend, those its workers run. */
  int held() {
    return leases == null ? backend.busy() : leases.size();
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
    if (leases != null) {
      for (Lease l : leases) {
        l.lostAt(WorkerLoss.of("its backend " + backendName + " stopped while holding it"));
      }
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
    nanos.add(now - job.startedAt());
  }

  /** The job has completed and its callbacks have run. */
  void retired() {
    server.retire();
  }

  /** The job was cancelled while queued: a backend took it and dropped it. */
  void droppedAndForget(Lease l) {
    forget(l);
    dropped();
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
   * The server's record of one worker of this lane's backend: its leases are those in the lane's
   * registry that name it.
   */
  final class Worker implements WorkerHandle {
    private final String name;
    private volatile boolean lost;

    Worker(String name) {
      this.name = name;
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

    @Override
    public void lost(WorkerLoss loss) {
      lost = true; // first: a lease assigned from now on sees it (Lease.assign)
      for (Lease l : leases) {
        if (l.worker() == this) {
          l.lostAt(loss);
        }
      }
    }

    @Override
    public int held() {
      int n = 0;
      for (Lease l : leases) {
        if (l.worker() == this) {
          n++;
        }
      }
      return n;
    }

    @Override
    public String toString() {
      return backendName + "/" + name + (lost ? " (lost)" : "");
    }
  }
}
