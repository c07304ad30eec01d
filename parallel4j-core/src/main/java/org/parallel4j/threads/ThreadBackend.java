package org.parallel4j.threads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.BackendContext;
import org.parallel4j.spi.JobControl;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkSource;
import org.parallel4j.spi.WorkerInfo;

/**
 * Runs jobs on threads of this JVM: platform threads ({@code threads}) or virtual threads ({@code
 * virtual}). Not part of the API: reach it through {@code JobServer.threads(n)} and {@code
 * JobServer.virtualThreads()}. It sees its job server only through the SPI.
 *
 * <h2>Implementation</h2>
 *
 * <b>Workers.</b> A worker is started on demand, when a job arrives and fewer than the target
 * number are alive, and takes that job as its first (as a {@code ThreadPoolExecutor} grows to its
 * core size). A persistent worker (platform threads) then waits on the queue for more; an elastic
 * one (virtual threads) takes queued jobs while there are any and then exits, so a virtual-thread
 * server holds no threads while idle.
 *
 * <p><b>Unbounded.</b> A virtual-thread backend with no limit gives every job a thread of its own
 * at submit, started by a JDK thread-per-task executor: the queue stays empty, and neither a
 * live-worker count nor a registry of ours is kept, since the executor already tracks its threads
 * (to interrupt them, and to tell when all have ended) and a second count shared by every submit
 * and every exit cost more than the job. Its worker count cannot be changed.
 *
 * <p><b>Registry.</b> Otherwise live workers are kept in a set striped by a random hash, for {@code
 * cancelRunning}, wake-ups and termination.
 *
 * <p><b>Shrinking.</b> {@link #setWorkers} lowers the target; each worker checks it between jobs
 * and retires while too many are alive, so a running job is never interrupted. A worker idle in
 * {@code take()} is woken by an interrupt, sent under the worker's lock only while it is idle, and
 * cleared under that lock when it picks up work, so the wake-up never reaches a job; a worker also
 * re-checks under that lock before it waits, so no wake-up is lost.
 *
 * <p><b>Stopping.</b> {@link #shutdown} is called when no work is left: workers are woken, see the
 * stop flag and exit; the last one to exit reports termination.
 */
public final class ThreadBackend implements Backend {
  private static final VarHandle CURRENT;
  private static final int STRIPES = 16;

  static {
    try {
      CURRENT =
          MethodHandles.lookup()
              .findVarHandle(ThreadBackend.Worker.class, "current", WorkItem.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String name;
  private String threadPrefix; // written at start
  private final boolean virtual;
  private final boolean unbounded;
  private final AtomicInteger live = new AtomicInteger(); // unused when unbounded
  private final AtomicInteger serial = new AtomicInteger();
  private final Set<Worker>[] registry;
  private ExecutorService perJob; // unbounded only, made at start: one thread per job
  private volatile boolean cancelAll; // unbounded only: set by cancelRunning
  private final AtomicReference<Runnable> onTerminated = new AtomicReference<>();
  private volatile int target;
  private volatile boolean stopping;
  private WorkSource source;
  private BackendContext context;

  /**
   * A backend of {@code workers} threads.
   *
   * @param virtual virtual threads, one per running job, instead of platform threads
   * @param workers the most jobs running at once; {@link Integer#MAX_VALUE} with {@code virtual}
   *     for no limit
   */
  @SuppressWarnings("unchecked")
  public ThreadBackend(boolean virtual, int workers) {
    this.name = virtual ? "virtual" : "threads";
    this.virtual = virtual;
    this.unbounded = virtual && workers == Integer.MAX_VALUE;
    this.target = workers;
    this.registry = (Set<Worker>[]) new Set<?>[STRIPES];
    for (int i = 0; i < STRIPES; i++) {
      registry[i] = ConcurrentHashMap.newKeySet();
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean isLocal() {
    return true;
  }

  @Override
  public void start(BackendContext context) {
    this.context = context;
    this.source = context.source();
    // virtual threads, one per job, share one name: numbering them costs more than a tiny job
    this.threadPrefix = context.serverName() + (virtual ? "-virtual" : "-worker-");
    this.perJob =
        unbounded
            ? Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(threadPrefix).factory())
            : null;
  }

  @Override
  public boolean mayTakeOffer() {
    return unbounded ? !stopping : live.get() < target && !stopping;
  }

  @Override
  public boolean offer(WorkItem item) {
    return reserveWorker() && spawn(item);
  }

  @Override
  public void workAvailable() {
    if (reserveWorker()) {
      spawn(null);
    }
  }

  /** Counts one more live worker if fewer than the target are alive. */
  private boolean reserveWorker() {
    if (unbounded) {
      return !stopping;
    }
    int n;
    while ((n = live.get()) < target && !stopping) {
      if (live.compareAndSet(n, n + 1)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int workers() {
    return target;
  }

  @Override
  public void setWorkers(int n) {
    if (unbounded) {
      throw new IllegalStateException(
          "workers: a virtual-thread server without a limit runs every job at once and has no"
              + " worker count to change (create it with virtualThreads(n) to set one)");
    }
    int old = target;
    target = n;
    if (n < old) {
      forEachWorker(Worker::wakeIfIdle);
    } else {
      for (int i = old; i < n && !source.isEmpty(); i++) {
        workAvailable();
      }
    }
  }

  @Override
  public int busy() {
    AtomicInteger n = new AtomicInteger();
    forEachWorker(
        w -> {
          if (w.current() != null) {
            n.incrementAndGet();
          }
        });
    return n.get();
  }

  @Override
  public void cancelRunning() {
    if (unbounded) {
      cancelAll = true; // each job still running completes cancelled, whatever it returns
      perJob.shutdownNow(); // interrupts every thread it started
      return;
    }
    forEachWorker(
        w -> {
          WorkItem current = w.current();
          if (current != null) {
            current.cancel();
          }
        });
  }

  @Override
  public void shutdown(Runnable onTerminated) {
    this.onTerminated.set(onTerminated);
    stopping = true;
    if (unbounded) {
      perJob.shutdown();
      Thread.ofVirtual()
          .name(threadPrefix + "-reaper")
          .start(
              () -> {
                boolean interrupted = false;
                while (true) {
                  try {
                    perJob.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
                    break;
                  } catch (InterruptedException e) {
                    interrupted = true;
                  }
                }
                terminated();
                if (interrupted) {
                  Thread.currentThread().interrupt();
                }
              });
      return;
    }
    forEachWorker(Worker::wakeIfIdle);
    if (noneAlive()) {
      terminated();
    }
  }

  /** At most this many rows in {@link #workerInfo()}: an unbounded pool lists its busy ones. */
  private static final int MAX_ROWS = 256;

  @Override
  public List<WorkerInfo> workerInfo() {
    long pid = ProcessHandle.current().pid();
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean(); // -1 for a virtual thread
    List<WorkerInfo> rows = new ArrayList<>();
    forEachWorker(
        w -> {
          Thread t = w.thread;
          boolean busy = w.current() != null;
          if (t != null && rows.size() < MAX_ROWS && (busy || !unbounded)) {
            long cpuNanos = t.isVirtual() ? -1 : cpu.getThreadCpuTime(t.threadId());
            rows.add(
                new WorkerInfo(
                    t.getName(), busy ? "busy" : "idle", pid, busy ? 1 : 0, cpuNanos, -1));
          }
        });
    rows.sort(java.util.Comparator.comparing(WorkerInfo::name));
    return rows;
  }

  private void forEachWorker(Consumer<Worker> action) {
    for (Set<Worker> stripe : registry) {
      stripe.forEach(action);
    }
  }

  private boolean noneAlive() {
    return live.get() == 0;
  }

  private void terminated() {
    Runnable r = onTerminated.getAndSet(null); // the last two workers may both get here
    if (r != null) {
      r.run();
    }
  }

  private boolean spawn(WorkItem first) {
    Worker w = new Worker(first);
    if (unbounded) {
      try {
        perJob.execute(w);
      } catch (RejectedExecutionException e) { // shutdownNow raced this submit: it goes back
        if (first != null) {
          first.release(); // and ends cancelled, as the server is stopping
        }
      }
      return true;
    }
    Thread t =
        virtual
            ? Thread.ofVirtual().name(threadPrefix).unstarted(w)
            : Thread.ofPlatform()
                .name(threadPrefix + serial.incrementAndGet())
                .daemon(true)
                .unstarted(w);
    w.thread = t;
    registry[w.hash & (STRIPES - 1)].add(w);
    t.start();
    return true;
  }

  /** Retires the calling worker if more are alive than wanted: true if it must exit. */
  private boolean retireIfSurplus() {
    int n;
    while ((n = live.get()) > target || stopping) {
      if (live.compareAndSet(n, n - 1)) {
        return true;
      }
    }
    return false;
  }

  /** An elastic worker found the queue empty: true if it must exit. */
  private boolean exitWhenEmpty() {
    live.decrementAndGet();
    // recheck: a submitter that saw us alive did not start a worker for its item
    if (source.isEmpty() || stopping) {
      return true;
    }
    int n;
    while ((n = live.get()) < target) {
      if (live.compareAndSet(n, n + 1)) {
        return false;
      }
    }
    return true;
  }

  /** A worker thread's loop; also how the server interrupts the job it runs. */
  private final class Worker implements Runnable, JobControl {
    private final int hash = ThreadLocalRandom.current().nextInt();
    private WorkItem first;
    private WorkItem current; // written by the worker with release, read by others with acquire
    private boolean idle; // guarded by this
    Thread thread;

    Worker(WorkItem first) {
      this.first = first;
    }

    WorkItem current() {
      return (WorkItem) CURRENT.getAcquire(this);
    }

    @Override
    public void cancel(WorkItem item, boolean interrupt) {
      if (interrupt) {
        thread.interrupt(); // the job's state machine lets no interrupt past the job's end
      }
    }

    @Override
    public String stopOverdue(WorkItem item) {
      return "its thread was interrupted"; // by the server, through cancel, as the job fails
    }

    /** A random hash: cheaper than an identity hash for a set that sees one worker per job. */
    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return this == o;
    }

    @Override
    public void run() {
      if (unbounded) {
        thread = Thread.currentThread();
        runUnbounded();
        return;
      }
      String workerName = thread.getName();
      try {
        long now = context.now();
        WorkItem item = first;
        first = null;
        while (true) {
          if (item != null) {
            now = run(item, workerName, now);
          }
          if (retireIfSurplus()) {
            return;
          }
          // no wait: the clock read as the last job ended is this job's start
          item = source.poll();
          if (item == null) {
            if (virtual) {
              if (exitWhenEmpty()) {
                return;
              }
            } else {
              item = awaitWork();
              now = context.now();
            }
          }
        }
      } finally {
        registry[hash & (STRIPES - 1)].remove(this);
        if (stopping && noneAlive()) {
          terminated();
        }
      }
    }

    /**
     * The job of a thread of its own, then any queued (a job that another backend gave back waits
     * in the queue for whichever thread looks).
     */
    private void runUnbounded() {
      WorkItem item = first;
      first = null;
      String workerName = thread.getName();
      long now = context.now();
      if (item != null) {
        now = run(item, workerName, now);
      }
      while (!stopping && (item = source.poll()) != null) {
        now = run(item, workerName, now);
      }
    }

    /** Waits for work; null when woken to re-check the target or the stop flag. */
    private WorkItem awaitWork() {
      synchronized (this) {
        idle = true;
        // a shutdown or shrink that looked before idle was set sent no wake-up: look again
        if (stopping || live.get() > target) {
          idle = false;
          return null;
        }
      }
      WorkItem item = null;
      try {
        item = source.take();
      } catch (InterruptedException e) {
        // woken by setWorkers or shutdown: the caller re-checks
      }
      synchronized (this) {
        idle = false;
        Thread.interrupted(); // a wake-up sent just before we left take() must not reach a job
      }
      return item;
    }

    synchronized void wakeIfIdle() {
      if (idle) {
        thread.interrupt();
      }
    }

    /** Runs one job that started at {@code start}; returns the time it ended. */
    private long run(WorkItem item, String workerName, long start) {
      if (!item.begin(workerName, this, start)) {
        return start;
      }
      CURRENT.setRelease(this, item);
      Object result;
      Throwable failure = null;
      try {
        result = item.runHere();
      } catch (Throwable t) {
        result = null;
        failure = t;
      }
      CURRENT.setRelease(this, null);
      long now = context.now();
      if (cancelAll) {
        item.cancel();
      }
      if (failure == null) {
        item.complete(result, now);
      } else {
        item.fail(failure, now);
      }
      // a cancel's interrupt ends with its job: the job's state machine lets no interrupt in
      // once it has finished running, so a plain check first is safe, and spares a virtual
      // thread the lock that clearing takes
      if (thread.isInterrupted()) {
        Thread.interrupted();
      }
      return now;
    }
  }
}
