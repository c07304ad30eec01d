package org.parallel4j;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.BackendContext;
import org.parallel4j.spi.Codec;
import org.parallel4j.spi.JobControl;
import org.parallel4j.spi.TaskBody;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkSource;
import org.parallel4j.spi.WorkerHandle;
import org.parallel4j.spi.WorkerLoss;

/**
 * A stand-in for a remote node, written against the SPI alone: its workers are threads of this JVM
 * behind an artificial delay, each holding a pipeline of assigned jobs the way a node would, and a
 * test can kill a worker (the server is told it is lost while its task runs on and reports late) or
 * freeze it (it holds its jobs and reports nothing until thawed). Tasks travel through the server's
 * codec, so what a node could not run this cannot either.
 *
 * <p>A task learns the id of the worker that runs it from {@link #currentWorker()}; ids start at
 * 2^30, apart from any pid.
 */
final class SimulatedBackend implements Backend {
  private static final ThreadLocal<Long> CURRENT = new ThreadLocal<>();
  private static final AtomicLong IDS = new AtomicLong(1L << 30);

  private final String name;
  private final int pipeline;
  private final long delayNanos;
  private final List<Worker> live = new CopyOnWriteArrayList<>();
  private final AtomicReference<Runnable> onTerminated = new AtomicReference<>();
  private final AtomicInteger lateOutcomesDropped = new AtomicInteger();
  private volatile int target;
  private volatile boolean stopping;
  private BackendContext context;
  private WorkSource source;
  private Codec codec;

  /**
   * @param name the backend's name in stats and {@code ranOn}
   * @param workers how many workers it runs
   * @param pipeline how many jobs each worker takes ahead: the one it runs next and those behind it
   * @param delay the one-way delay of sending a job to a worker and its outcome back
   */
  SimulatedBackend(String name, int workers, int pipeline, java.time.Duration delay) {
    this.name = name;
    this.target = workers;
    this.pipeline = pipeline;
    this.delayNanos = delay.toNanos();
  }

  /** The id of the simulated worker running the calling task, or empty on any other thread. */
  static java.util.OptionalLong currentWorker() {
    Long id = CURRENT.get();
    return id == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(id);
  }

  /** Outcomes that workers reported after they were given up for lost, and the server dropped. */
  int lateOutcomesDropped() {
    return lateOutcomesDropped.get();
  }

  /**
   * Kills worker {@code id}: the server is told it is lost; a task it runs goes on, and reports.
   */
  boolean kill(long id) {
    for (Worker w : live) {
      if (w.id == id) {
        w.lose("killed by the test");
        return true;
      }
    }
    return false;
  }

  /**
   * The whole backend is lost, as a node that leaves: its workers' tasks run on, and report late.
   */
  void loseAll() {
    stopping = true;
    for (Worker w : live) {
      w.lost = true;
    }
    context.lost(WorkerLoss.of("the node left"));
    live.clear();
  }

  /** Freezes worker {@code id} (SIGSTOP's stand-in): it starts nothing and reports nothing. */
  boolean freeze(long id) {
    for (Worker w : live) {
      if (w.id == id) {
        w.frozen = true;
        return true;
      }
    }
    return false;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Object prepare(TaskBody task, Object argument) {
    try {
      return new byte[][] {codec().encode(task), codec().encode(argument)};
    } catch (IOException e) {
      throw new IllegalArgumentException(name + " cannot ship the task: " + e.getMessage(), e);
    }
  }

  private Codec codec() {
    Codec c = codec;
    if (c == null) {
      throw new IllegalStateException(name + ": not started");
    }
    return c;
  }

  @Override
  public void start(BackendContext context) {
    this.context = context;
    this.source = context.source();
    this.codec = context.codec();
    for (int i = 0; i < target; i++) {
      startWorker();
    }
  }

  private void startWorker() {
    Worker w = new Worker(IDS.incrementAndGet());
    live.add(w);
    w.thread.start();
  }

  @Override
  public void workAvailable() {
    for (Worker w : live) {
      LockSupport.unpark(w.thread);
    }
  }

  @Override
  public int workers() {
    return target;
  }

  @Override
  public synchronized void setWorkers(int workers) {
    target = workers;
    int serving = 0;
    for (Worker w : live) {
      if (!w.retiring && ++serving > workers) {
        w.retiring = true;
        LockSupport.unpark(w.thread);
      }
    }
    for (int i = serving; i < workers; i++) {
      startWorker();
    }
  }

  @Override
  public int busy() {
    int n = 0;
    for (Worker w : live) {
      if (w.running != null) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void cancelRunning() {
    for (Worker w : live) {
      WorkItem item = w.running;
      if (item != null) {
        item.cancel();
      }
    }
  }

  @Override
  public void shutdown(Runnable onTerminated) {
    this.onTerminated.set(onTerminated);
    stopping = true;
    for (Worker w : live) {
      w.frozen = false; // a frozen worker thaws, to finish and stop
      LockSupport.unpark(w.thread);
    }
    checkTerminated();
  }

  private void checkTerminated() {
    if (stopping && live.isEmpty()) {
      Runnable r = onTerminated.getAndSet(null);
      if (r != null) {
        r.run();
      }
    }
  }

  /** One simulated worker: a thread with a pipeline of assigned jobs. */
  private final class Worker implements JobControl {
    final long id;
    final String workerName;
    final WorkerHandle handle;
    final Thread thread;
    final LinkedBlockingDeque<WorkItem> assigned = new LinkedBlockingDeque<>();
    volatile WorkItem running;
    volatile boolean lost;
    volatile boolean frozen;
    volatile boolean retiring;

    Worker(long id) {
      this.id = id;
      this.workerName = "sim-" + id;
      this.handle = context.worker(workerName);
      this.thread =
          Thread.ofPlatform()
              .daemon()
              .name(context.serverName() + "-" + name + "-" + id)
              .unstarted(this::loop);
    }

    void lose(String why) {
      lost = true;
      handle.lost(WorkerLoss.of(why));
      live.remove(this);
      if (!stopping && live.size() < target) {
        startWorker(); // a node's replacement
      }
      thread.interrupt(); // a frozen or idle one ends; a running task may ignore it
      checkTerminated();
    }

    private void loop() {
      CURRENT.set(id);
      try {
        while (!lost) {
          fill();
          WorkItem item = assigned.poll();
          if (item == null) {
            if ((stopping || retiring) && running == null) {
              return;
            }
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(5)); // woken by work
            continue;
          }
          delay(); // on its way to the worker
          if (!thawed() || lost) {
            return;
          }
          run(item);
        }
      } finally {
        if (!lost) {
          live.remove(this);
          checkTerminated();
        }
      }
    }

    /** Takes jobs from the queue until the pipeline is full. */
    private void fill() {
      while (!lost && !stopping && !retiring && !frozen && assigned.size() < pipeline) {
        WorkItem item = source.poll();
        if (item == null) {
          return;
        }
        try {
          item.prepared(SimulatedBackend.this);
        } catch (IllegalArgumentException e) {
          item.fail(e);
          continue;
        }
        if (item.assign(handle, this)) {
          assigned.add(item);
        }
      }
    }

    private void run(WorkItem item) {
      running = item;
      item.started();
      Object result = null;
      Throwable failure = null;
      try {
        byte[][] shipped = (byte[][]) item.prepared(SimulatedBackend.this);
        TaskBody task = (TaskBody) codec.decode(shipped[0]);
        result = task.invoke(codec.decode(shipped[1]));
        codec.encode(result); // it must travel back
      } catch (Throwable t) {
        failure = t;
      }
      delay(); // on its way back
      boolean reported = thawed();
      running = null;
      if (!reported) {
        return;
      }
      boolean taken = failure == null ? item.complete(result) : item.fail(failure);
      if (!taken) {
        lateOutcomesDropped.incrementAndGet();
      }
      Thread.interrupted(); // a cancel's interrupt ends with its job
    }

    private void delay() {
      if (delayNanos > 0) {
        LockSupport.parkNanos(delayNanos);
      }
    }

    /** Waits while frozen; false if the worker was lost meanwhile. */
    private boolean thawed() {
      while (frozen && !lost) {
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(5));
      }
      return !lost || running != null; // a task that ran on reports, late
    }

    @Override
    public void cancel(WorkItem item, boolean interrupt) {
      if (item == running) {
        if (interrupt) {
          thread.interrupt();
        }
      } else if (assigned.remove(item)) {
        item.fail(new CancellationException("skipped by " + workerName)); // ends its lease
      }
    }

    @Override
    public String stopOverdue(WorkItem item) {
      lose("stopped past the deadline of job " + item.jobId());
      return "its worker " + workerName + " was killed";
    }

    @Override
    public String toString() {
      return workerName;
    }
  }
}
