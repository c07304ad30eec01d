package org.parallel4j;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkSource;

/**
 * Runs jobs on threads of this JVM: platform threads ({@code threads}) or virtual threads
 * ({@code virtual}).
 *
 * <h2>Implementation</h2>
 * <b>Workers.</b> A worker is started on demand, when work is queued and fewer than the target
 * number are alive (like a {@code ThreadPoolExecutor} growing to its core size). A persistent
 * worker (platform threads) then waits on the queue for more; an elastic one (virtual threads)
 * exits as soon as the queue is empty, so a virtual-thread server holds no threads while idle.
 *
 * <p><b>Shrinking.</b> {@link #setWorkers} lowers the target; each worker checks it between jobs
 * and retires while too many are alive, so a running job is never interrupted. A worker idle in
 * {@code take()} is woken by an interrupt, sent under the worker's lock only while it is idle,
 * and cleared under that lock when it picks up work, so the wake-up never reaches a job.
 *
 * <p><b>Stopping.</b> {@link #shutdown} is called when no work is left: workers are woken, see
 * the stop flag and exit; the last one to exit reports termination.
 */
final class ThreadBackend implements Backend {
  private final String name;
  private final String threadPrefix;
  private final boolean virtual;
  private final AtomicInteger live = new AtomicInteger();
  private final AtomicInteger busy = new AtomicInteger();
  private final AtomicInteger serial = new AtomicInteger();
  private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
  private volatile int target;
  private volatile boolean stopping;
  private final AtomicReference<Runnable> onTerminated = new AtomicReference<>();
  private WorkSource source;

  ThreadBackend(String serverName, boolean virtual, int workers) {
    this.name = virtual ? "virtual" : "threads";
    this.threadPrefix = serverName + (virtual ? "-virtual-" : "-worker-");
    this.virtual = virtual;
    this.target = workers;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(WorkSource source) {
    this.source = source;
  }

  @Override
  public void workAvailable() {
    int n;
    while ((n = live.get()) < target && !stopping) {
      if (live.compareAndSet(n, n + 1)) {
        spawn();
        return;
      }
    }
  }

  @Override
  public int workers() {
    return target;
  }

  @Override
  public void setWorkers(int n) {
    int old = target;
    target = n;
    if (n < old) {
      for (Worker w : workers) {
        w.wakeIfIdle();
      }
    } else if (!source.isEmpty()) {
      for (int i = old; i < n && !source.isEmpty() && live.get() < target; i++) {
        workAvailable();
      }
    }
  }

  @Override
  public int busy() {
    return busy.get();
  }

  @Override
  public void cancelRunning() {
    for (Worker w : workers) {
      Work current = w.current;
      if (current != null) {
        current.job().cancel(true);
      }
    }
  }

  @Override
  public void shutdown(Runnable onTerminated) {
    this.onTerminated.set(onTerminated);
    stopping = true;
    for (Worker w : workers) {
      w.wakeIfIdle();
    }
    if (live.get() == 0) {
      terminated();
    }
  }

  private void terminated() {
    Runnable r = onTerminated.getAndSet(null); // the last two workers may both get here
    if (r != null) {
      r.run();
    }
  }

  private void spawn() {
    Worker w = new Worker();
    String threadName = threadPrefix + serial.incrementAndGet();
    Thread t =
        virtual
            ? Thread.ofVirtual().name(threadName).unstarted(w)
            : Thread.ofPlatform().name(threadName).daemon(true).unstarted(w);
    w.thread = t;
    workers.add(w);
    t.start();
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

  /** An elastic worker found the queue empty: exit unless work arrived meanwhile. */
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

  private final class Worker implements Runnable {
    Thread thread;
    volatile Work current;
    private boolean idle; // guarded by this

    @Override
    public void run() {
      Runnable interrupter = thread::interrupt;
      String workerName = thread.getName();
      try {
        while (true) {
          WorkItem item;
          if (virtual) {
            item = source.poll();
            if (item == null) {
              if (exitWhenEmpty()) {
                return;
              }
              continue;
            }
          } else {
            if (retireIfSurplus()) {
              return;
            }
            item = awaitWork();
            if (item == null) {
              continue;
            }
          }
          run((Work) item, workerName, interrupter);
          if (virtual && retireIfSurplus()) {
            return;
          }
        }
      } finally {
        workers.remove(this);
        if (stopping && live.get() == 0) {
          terminated();
        }
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

    private void run(Work item, String workerName, Runnable interrupter) {
      if (!item.begin(workerName, interrupter)) {
        return;
      }
      current = item;
      busy.incrementAndGet();
      Object result;
      try {
        result = item.runHere();
      } catch (Throwable t) {
        end();
        item.fail(t);
        Thread.interrupted();
        return;
      }
      end();
      item.complete(result);
      Thread.interrupted(); // a cancel's interrupt ends with its job
    }

    private void end() {
      busy.decrementAndGet();
      current = null;
    }
  }
}
