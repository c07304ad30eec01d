package org.parallel4j.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.parallel4j.codec.KryoCodec;
import org.parallel4j.codec.LambdaShape;
import org.parallel4j.codec.Shipment;
import org.parallel4j.codec.Shippable;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.BackendContext;
import org.parallel4j.spi.Codec;
import org.parallel4j.spi.TaskBody;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkSource;
import org.parallel4j.spi.WorkerHandle;
import org.parallel4j.spi.WorkerInfo;
import org.parallel4j.wire.Doorbell;
import org.parallel4j.wire.Frames;
import org.parallel4j.wire.Ring;

/**
 * Runs jobs in worker JVMs started by this one: Python's process pools and Parallel Python's local
 * workers. Not part of the API: reach it through {@code JobServer.processes(n)}.
 *
 * <h2>Implementation</h2>
 *
 * <b>Workers.</b> Each worker is a JVM started with this JVM's class path and {@link WorkerMain};
 * its standard output and error are forwarded line by line with a {@code [worker-3 pid 1234]}
 * prefix, and its last error lines are kept for crash reports.
 *
 * <p><b>Channel.</b> Frames travel through two {@link Ring}s in a file of {@code /dev/shm} (mode
 * 0600, unlinked once the worker has greeted); the worker's standard streams carry the one-byte
 * wake-ups ({@link Doorbell}): the server's on the worker's standard input, the worker's on its
 * standard output among what its tasks print ({@link Stdout}), and their ends tell each side that
 * the other is gone. No socket is opened, so no other process can reach a worker. A reader with
 * nothing to read sleeps and is rung by the next write; a reader that expects a frame within
 * microseconds spins instead: the worker after a task sent while the server held no other job
 * ({@link Frames#TASK_ALONE}), and a thread waiting in {@code get} for its worker's only job, which
 * reads the result itself ({@link WorkItem#awaitedWith}). So one submit-and-get after another costs
 * no system call, and a stream of jobs costs a ring per batch, not per job.
 *
 * <p><b>Encoding.</b> A job is encoded at submit, on the submitting thread (so a job that cannot be
 * shipped is refused there), or when this backend takes it if another backend was asked at submit,
 * with the server's codec ({@link KryoCodec} by default): its function apart from its argument, so
 * that a function that cannot change is encoded once and sent to each worker once, into one of
 * {@link #FUNCTION_SLOTS} slots; later tasks carry the slot and their argument ({@link Shipment}).
 * A lambda made anew for each submit sends its class that way and, per task, only the values it
 * captured ({@link LambdaShape}).
 *
 * <p><b>Dispatch.</b> Each worker may hold a window of jobs in flight: about a millisecond of work
 * by its tasks' recent run times, 2 to {@value WorkerProcess#MAX_WINDOW} jobs (so that the next is
 * at hand as one ends), 1 until the first result. A job submitted while a worker is idle and
 * nothing is queued is written by the submitting thread ({@link #offer}); a busy worker is refilled
 * by the thread that reads its results once half its window is free, every job at hand in one
 * write; a dispatcher thread per worker feeds it when it is idle and work is queued ({@link
 * #workAvailable} wakes it). So a faster worker takes more, and a stream of jobs wakes no thread to
 * dispatch them. The worker runs its jobs in order, so the head of its in-flight queue is the one
 * running: it is reported {@linkplain WorkItem#started started} when it becomes the head, so that
 * its run time and its deadline (watched by the server) count from then.
 *
 * <p><b>Start-up.</b> Workers run with SerialGC, no perf data, {@code -XX:+ExitOnOutOfMemoryError}
 * and native reflection accessors, and start from a class-data cache that one worker of the first
 * pool records as it exits ({@link WorkerCache}).
 *
 * <p><b>Failure.</b> A worker whose channel closes (it exited, was killed, crashed, or sent a bad
 * frame) is noticed by its reader at once and reported {@linkplain WorkerHandle#lost lost} with how
 * it ended and its last lines; the server, which holds the lease of every job assigned to it, runs
 * them again or fails them, and a fresh worker replaces it. Jobs on other workers are not
 * disturbed. Past a job's deadline the server asks this backend to stop it: its worker is killed.
 *
 * <p><b>Lifecycle.</b> Workers start with the backend. At shutdown each worker is told to finish
 * and exit; termination is reported once every worker process has ended.
 */
public final class ProcessBackend implements Backend {
  /** How many functions a worker keeps, by slot, so that tasks need not carry them. */
  static final int FUNCTION_SLOTS = 256;

  String serverName; // these four are set at start
  BackendContext context;
  Codec codec;
  byte[] initializer; // encoded, or null
  final int maxFrame;
  final WorkerOptions options;
  private final Shipment.Cache functions = new Shipment.Cache();
  private volatile Exception lastStartFailure;
  final WorkerCache cache; // null when workers start without one
  final AtomicBoolean recording = new AtomicBoolean(); // one worker records the cache
  final List<WorkerProcess> live = new CopyOnWriteArrayList<>();
  private final AtomicInteger serial = new AtomicInteger();
  private final AtomicInteger starting = new AtomicInteger();
  private final AtomicReference<Runnable> onTerminated = new AtomicReference<>();
  private final Path dir; // a private temporary directory for ring files, or null: /dev/shm
  private final Path ringDir; // /dev/shm where there is one: memory, not a disk
  private volatile int target;
  volatile boolean stopping;
  WorkSource source;

  /**
   * A backend of {@code workers} worker processes.
   *
   * @param workers the number of worker processes
   * @param options how workers are started and kept
   */
  public ProcessBackend(int workers, WorkerOptions options) {
    this.target = workers;
    // a frame holds the payload, its header and at most 16 bytes of fields (TASK, RESULT)
    this.maxFrame = (int) Math.min(options.maxPayload() + 64, Integer.MAX_VALUE - 8);
    this.options = options;
    this.cache = WorkerCache.locate(classPath(), jvmArgs());
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      this.dir = null;
      this.ringDir = shm;
    } else {
      try {
        this.dir = Files.createTempDirectory("parallel4j-");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a directory for worker rings", e);
      }
      this.ringDir = dir;
    }
  }

  @Override
  public String name() {
    return "processes";
  }

  /** Encodes the job at submit; refuses, naming what cannot be shipped, if it cannot be. */
  @Override
  public Object prepare(TaskBody task, Object argument) {
    return functions.prepare(codec, task, argument, "a worker process");
  }

  /**
   * Starts the worker processes and waits until they are ready.
   *
   * @throws IllegalArgumentException when the initializer cannot be sent to a worker
   * @throws IllegalStateException when no worker could start
   */
  @Override
  public void start(BackendContext context) {
    this.context = context;
    this.serverName = context.serverName();
    this.codec = context.codec();
    this.source = context.source();
    try {
      this.initializer = options.initializer() == null ? null : codec.encode(options.initializer());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "initializer cannot be sent to a worker process: "
              + Shippable.explain(codec, options.initializer(), null, e),
          e);
    }
    List<Thread> starters = new ArrayList<>();
    for (int i = 0; i < target; i++) {
      starting.incrementAndGet(); // counted, so that a replacement does not overshoot
      starters.add(launchStarter());
    }
    // while the worker JVMs start: the first submit then encodes at full speed
    warmUp(codec);
    for (Thread t : starters) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (live.isEmpty()) {
      Exception cause = lastStartFailure;
      throw new IllegalStateException(
          serverName
              + ": no worker process could be started"
              + (cause == null ? "" : ": " + cause.getMessage()),
          cause);
    }
  }

  /**
   * Runs what this side of the codec does first, once: encoding a capturing lambda, whole and apart
   * from its captured values (in a fresh JVM mostly the JDK's first reflective calls and method
   * handles: tens of milliseconds, see docs/benchmarks.md), and decoding results. Exceptions are
   * left for the first job that fails: their first encoding costs as much again, and on a machine
   * with few cores it would take CPU from the workers starting beside it.
   */
  private static void warmUp(Codec codec) {
    int offset = 1;
    TaskBody fn = x -> (Integer) x + offset;
    try {
      new Shipment.Cache().ship(codec, fn, codec.encode(1)); // the lambda, then apart (LambdaShape)
      codec.decode(codec.encode(new ArrayList<>(List.of(1, 2L, "three", 4.0))));
    } catch (IOException e) {
      // the first submit will say what is wrong
    }
  }

  @Override
  public boolean offer(WorkItem item) {
    if (!source.isEmpty()) {
      return false; // jobs queued first go first
    }
    for (WorkerProcess w : live) {
      if (w.offer(item)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void workAvailable() {
    for (WorkerProcess w : live) {
      w.wake(); // only idle workers: busy ones are topped up by their readers
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
    for (int i = old; i < n; i++) {
      maybeStartWorker();
    }
    int surplus = -n; // workers staying, counted down: those past n retire
    for (WorkerProcess w : live) {
      if (!w.isRetiring() && ++surplus > 0) {
        w.retire(); // finishes the jobs it holds, then exits
      }
    }
  }

  @Override
  public List<WorkerInfo> workerInfo() {
    List<WorkerInfo> rows = new ArrayList<>(live.size());
    for (WorkerProcess w : live) {
      rows.add(new WorkerInfo(w.name, w.stateName(), w.pid, w.count.get()));
    }
    return rows;
  }

  @Override
  public int busy() {
    int n = 0;
    for (WorkerProcess w : live) {
      n += w.count.get();
    }
    return n;
  }

  @Override
  public void cancelRunning() {
    for (WorkerProcess w : live) {
      for (WorkItem item : w.inFlight) {
        item.cancel(); // the worker interrupts it; one that ignores that is killed after a grace
      }
    }
  }

  @Override
  public void shutdown(Runnable onTerminated) {
    this.onTerminated.set(onTerminated);
    stopping = true;
    for (WorkerProcess w : live) {
      w.retire();
    }
    checkTerminated();
  }

  /** Workers alive and not retiring. */
  private int serving() {
    int n = 0;
    for (WorkerProcess w : live) {
      if (!w.isRetiring()) {
        n++;
      }
    }
    return n;
  }

  void checkTerminated() {
    if (stopping && live.isEmpty() && starting.get() == 0) { // and no JVM still being started
      Runnable r = onTerminated.getAndSet(null);
      if (r != null) {
        try {
          if (dir != null) {
            Files.deleteIfExists(dir);
          }
        } catch (IOException e) {
          // a temporary directory left behind is harmless
        }
        r.run();
      }
    }
  }

  /**
   * Starts a worker, on a thread of its own, if those serving and those starting are fewer than
   * wanted: a burst of setWorkers calls starts no more JVMs than the last one asks for.
   */
  void maybeStartWorker() {
    int n;
    while (!stopping && serving() + (n = starting.get()) < target) {
      if (starting.compareAndSet(n, n + 1)) {
        launchStarter();
        return;
      }
    }
  }

  /** Starts a worker on a thread of its own; the caller has counted it in {@code starting}. */
  private Thread launchStarter() {
    return Thread.ofPlatform()
        .name(serverName + "-starter")
        .start(
            () -> {
              try {
                startWorker();
              } finally {
                starting.decrementAndGet();
                checkTerminated(); // shutdown may have waited for this start
              }
            });
  }

  private void startWorker() {
    if (stopping) {
      return;
    }
    String name = "worker-" + serial.incrementAndGet();
    Path ringFile = ringDir.resolve(ringName(name));
    boolean ringCreated = false; // a file of that name that someone else made is left alone
    Path recordTo = null;
    try {
      java.nio.MappedByteBuffer rings = Ring.create(ringFile);
      ringCreated = true;
      List<String> cacheArgs = List.of();
      if (cache != null && cache.exists()) {
        cacheArgs = cache.useArgs();
      } else if (cache != null && recording.compareAndSet(false, true)) {
        recordTo = cache.temp();
        cacheArgs = cache.recordArgs(recordTo);
      }
      Process process = workerCommand(ringFile, name, cacheArgs).start();
      WorkerProcess w;
      try {
        w = new WorkerProcess(this, name, process, rings, recordTo);
        if (!w.awaitGreeting(System.nanoTime() + WorkerProcess.CONNECT_TIMEOUT_NANOS)) {
          process.destroyForcibly(); // the server is closing: this worker is not needed
          process.waitFor(); // gone before termination is reported
          return;
        }
      } catch (IOException | RuntimeException | InterruptedException e) {
        process.destroyForcibly();
        throw e;
      }
      recordTo = null; // the worker records as it exits, and died() installs it
      live.add(w);
      w.start();
      // shutdown, or a shrink, may have looked at the workers before this one was added
      if (stopping || serving() > target) {
        w.retire();
      }
    } catch (IOException | RuntimeException e) {
      lastStartFailure = e;
      System.err.println("[" + serverName + "] cannot start " + name + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (recordTo != null) {
        recording.set(false); // this worker will record nothing: the next one may
      }
      try {
        if (ringCreated) {
          Files.deleteIfExists(ringFile); // both sides have it mapped, or the worker never came
        }
      } catch (IOException e) {
        // left behind: the ring file, readable by us alone
      }
    }
  }

  /**
   * A worker's JVM options: SerialGC, as a worker's heap is its own; no perf data file; an {@code
   * OutOfMemoryError} ends the worker, whose heap may be left in any state, so that its job is
   * retried on a fresh one; core reflection through native accessors (JEP 416's switch), because
   * the JDK maps the rings with a reflective constructor call, and spinning up method-handle
   * reflection for it cost a fresh worker tens of milliseconds (docs/benchmarks.md, start-up; a
   * stream of jobs runs as fast either way); then the user's options, which may say otherwise.
   * SerialGC only when the user chose no collector: the JVM refuses two.
   */
  private List<String> jvmArgs() {
    List<String> args = new ArrayList<>();
    if (options.jvmArgs().stream().noneMatch(a -> a.matches("-XX:\\+Use[A-Za-z0-9]+GC"))) {
      args.add("-XX:+UseSerialGC");
    }
    args.add("-XX:-UsePerfData");
    args.add("-XX:+ExitOnOutOfMemoryError");
    args.add("-Djdk.reflect.useNativeAccessorOnly=true");
    args.addAll(options.jvmArgs());
    return args;
  }

  /**
   * The workers' class path: this JVM's, then its module path (a worker runs on a class path, so a
   * server on the module path gives it its modules that way), then the user's entries.
   */
  private String classPath() {
    StringBuilder classPath = new StringBuilder(System.getProperty("java.class.path"));
    String modules = System.getProperty("jdk.module.path");
    if (modules != null && !modules.isEmpty()) {
      classPath.append(java.io.File.pathSeparatorChar).append(modules);
    }
    for (Path p : options.classPath()) {
      classPath.append(java.io.File.pathSeparatorChar).append(p.toAbsolutePath());
    }
    return classPath.toString();
  }

  static boolean isJvmDeathNotice(String line) {
    return line.startsWith("Terminating due to java.lang.OutOfMemoryError")
        || line.startsWith("# A fatal error has been detected")
        || line.startsWith("#  SIG")
        || line.startsWith("# Problematic frame")
        || line.startsWith("# An error report file");
  }

  /**
   * A fresh name for a worker's ring file. The file is created exclusively with mode 0600, so a
   * name another user chose first fails the start instead of exposing it; the random part keeps
   * names from meeting by accident.
   */
  private static String ringName(String worker) {
    return "parallel4j-"
        + ProcessHandle.current().pid()
        + "-"
        + worker
        + "-"
        + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
  }

  private ProcessBuilder workerCommand(Path ringFile, String name, List<String> cacheArgs) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(cacheArgs);
    command.addAll(jvmArgs());
    command.add("-cp");
    command.add(classPath());
    command.add(WorkerMain.class.getName());
    command.add(name);
    command.add(Integer.toString(maxFrame));
    command.add(ringFile.toString());
    command.add(Long.toString(ProcessHandle.current().pid()));
    command.add(codec.getClass().getName());
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(options.environment());
    if (options.directory() != null) {
      pb.directory(options.directory().toFile());
    }
    return pb;
  }
}
