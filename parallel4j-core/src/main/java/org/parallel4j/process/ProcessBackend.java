package org.parallel4j.process;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
import org.parallel4j.spi.JobControl;
import org.parallel4j.spi.TaskBody;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkSource;
import org.parallel4j.spi.WorkerHandle;
import org.parallel4j.spi.WorkerLoss;
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
 * by its tasks' recent run times, 1 to {@value #MAX_WINDOW} jobs, 1 until the first result. A job
 * submitted while a worker is idle and nothing is queued is written by the submitting thread
 * ({@link #offer}); a busy worker is refilled by the thread that reads its results once half its
 * window is free, every job at hand in one write; a dispatcher thread per worker feeds it when it
 * is idle and work is queued ({@link #workAvailable} wakes it). So a faster worker takes more, and
 * a stream of jobs wakes no thread to dispatch them. The worker runs its jobs in order, so the head
 * of its in-flight queue is the one running: it is reported {@linkplain WorkItem#started started}
 * when it becomes the head, so that its run time and its deadline (watched by the server) count
 * from then.
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

  private static final int MAX_WINDOW = 64;
  private static final long QUEUED_WORK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final int ERROR_LINES_KEPT = 20;
  // lines a worker printed that wait for this JVM's standard output, at most: its rings share
  // the stream, so only past this many does a console that blocks hold up its results
  private static final int PRINTED_LINES_QUEUED = 1024;
  private static final String END_OF_OUTPUT = new String("end of output"); // compared by identity
  private static final long CONNECT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final long WAKE_MILLIS = 50;
  private static final long CANCEL_GRACE_MILLIS = 1000;
  // how long a waiting thread tries for the channel while the reader thread reads it
  private static final long HANDOVER_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
  private static final int IDLE = 0;
  private static final int UNREAD = 1;

  private String serverName; // these four are set at start
  private BackendContext context;
  private Codec codec;
  private byte[] initializer; // encoded, or null
  private final int maxFrame;
  private final WorkerOptions options;
  private final Shipment.Cache functions = new Shipment.Cache();
  private volatile Exception lastStartFailure;
  private final WorkerCache cache; // null when workers start without one
  private final AtomicBoolean recording = new AtomicBoolean(); // one worker records the cache
  private final List<Worker> live = new CopyOnWriteArrayList<>();
  private final AtomicInteger serial = new AtomicInteger();
  private final AtomicInteger starting = new AtomicInteger();
  private final AtomicReference<Runnable> onTerminated = new AtomicReference<>();
  private final Path dir; // a private temporary directory for ring files, or null: /dev/shm
  private final Path ringDir; // /dev/shm where there is one: memory, not a disk
  private volatile int target;
  private volatile boolean stopping;
  private WorkSource source;

  /**
   * A backend of {@code workers} worker processes.
   *
   * @param workers the number of worker processes
   * @param options how workers are started and kept
   */
  public ProcessBackend(int workers, WorkerOptions options) {
    this.target = workers;
    this.maxFrame = 64 << 20;
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
    try {
      return functions.ship(codec, task, codec.encode(argument));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "task cannot be sent to a worker process: " + Shippable.explain(codec, task, argument, e),
          e);
    }
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
   * handles, 60-70 ms here), and decoding results. Exceptions are left for the first job that
   * fails: their first encoding costs as much again, and on a machine with few cores it would take
   * CPU from the workers starting beside it.
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
    for (Worker w : live) {
      if (w.offer(item)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void workAvailable() {
    for (Worker w : live) {
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
    for (Worker w : live) {
      if (!w.retiring && ++surplus > 0) {
        w.retire(); // finishes the jobs it holds, then exits
      }
    }
  }

  @Override
  public int busy() {
    int n = 0;
    for (Worker w : live) {
      n += w.count.get();
    }
    return n;
  }

  @Override
  public void cancelRunning() {
    for (Worker w : live) {
      for (WorkItem item : w.inFlight) {
        item.cancel(); // the worker interrupts it; one that ignores that is killed after a grace
      }
    }
  }

  @Override
  public void shutdown(Runnable onTerminated) {
    this.onTerminated.set(onTerminated);
    stopping = true;
    for (Worker w : live) {
      w.retire();
    }
    checkTerminated();
  }

  /** Workers alive and not retiring. */
  private int serving() {
    int n = 0;
    for (Worker w : live) {
      if (!w.retiring) {
        n++;
      }
    }
    return n;
  }

  private void checkTerminated() {
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
  private void maybeStartWorker() {
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
      Worker w;
      try {
        w = new Worker(name, process, rings, recordTo);
        if (!w.awaitGreeting(System.nanoTime() + CONNECT_TIMEOUT_NANOS)) {
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
   * reflection for it cost a fresh worker 45-60 ms here (a map of 10,000 records through a worker
   * measured the same either way); then the user's options, which may say otherwise. SerialGC only
   * when the user chose no collector: the JVM refuses two.
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

  private static boolean isJvmDeathNotice(String line) {
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

  /** One worker process and the threads that serve it; also how the server reaches its jobs. */
  private final class Worker implements JobControl {
    final String name;
    final WorkerHandle handle; // the server's record of this worker: the leases it holds
    final Process process;
    final long pid;
    final OutputStream toStdin; // the worker's standard input: rings, guarded by sending
    final Ring.In fromWorker; // read by whoever holds the role
    final DataInputStream in; // over fromWorker
    final DataOutputStream out; // guarded by sending
    // held by the thread that reads outcomes: the reader thread, or one waiting for a result
    final java.util.concurrent.Semaphore role = new java.util.concurrent.Semaphore(1);
    final WorkItem.WaitHelper helper = this::help;
    volatile IOException broken; // a consumer found the channel broken: the reader ends it
    volatile boolean ended; // its standard output ended, or it exited: the worker is gone
    // the first ring (the greeting is in the ring) or the end of its standard output
    final java.util.concurrent.CountDownLatch greeted = new java.util.concurrent.CountDownLatch(1);
    volatile boolean serving; // greeted (and initialized): rings are served
    final Thread watcher; // reports the worker's end; reads outcomes nobody else reads
    volatile boolean signalled; // the watcher has something to look at
    final java.util.concurrent.locks.ReentrantLock sending =
        new java.util.concurrent.locks.ReentrantLock();
    final String label;
    final Path recordTo; // where this worker records the start-up cache as it exits, or null
    // in the order sent; the worker runs them in that order, so the head is the one running
    final ConcurrentLinkedQueue<WorkItem> inFlight = new ConcurrentLinkedQueue<>();
    final AtomicInteger count = new AtomicInteger(); // inFlight's size
    // the most jobs in flight: about QUEUED_WORK_NANOS of work, by the tasks' recent run times
    volatile int window = 1; // until the first result: a job that blocks holds one worker only
    volatile boolean idleWanted; // the dispatcher waits for the worker to go idle
    volatile double meanRunNanos = -1; // written by the role's holder
    // the dispatcher's: which function is in which of the worker's slots
    final java.util.IdentityHashMap<Shipment.Function, Integer> slotOf =
        new java.util.IdentityHashMap<>();
    final Shipment.Function[] inSlot = new Shipment.Function[FUNCTION_SLOTS];
    int nextSlot;
    long sent;
    final ArrayDeque<String> lastErrors = new ArrayDeque<>(); // guarded by itself
    final AtomicBoolean dead = new AtomicBoolean();
    volatile boolean retiring;
    Thread dispatcher;
    Thread stdoutPump;
    Thread stderrPump;
    final java.util.concurrent.BlockingQueue<String> printed =
        new java.util.concurrent.ArrayBlockingQueue<>(PRINTED_LINES_QUEUED);
    volatile Thread printer; // started by the stdout pump at the first line printed
    // cancel and skip frames waiting for whoever holds sending: a cancel never waits for the lock,
    // as its holder may be waiting for that very cancel to finish (Job.hold, Job.finishRunning)
    final ConcurrentLinkedQueue<long[]> controls = new ConcurrentLinkedQueue<>();
    boolean shutdownSent; // guarded by sending: no job is sent after the SHUTDOWN frame

    /**
     * Asks the worker to skip {@code item} if it has not started it, and with {@code interrupt} to
     * interrupt it if it has; if it is still running after the grace period, the worker is killed,
     * as only that stops it.
     */
    @Override
    public void cancel(WorkItem item, boolean interrupt) {
      controls.add(new long[] {interrupt ? Frames.CANCEL : Frames.SKIP, item.jobId()});
      if (sending.tryLock()) { // else the holder writes it as it lets go
        unlockSending();
      }
      if (!interrupt) {
        return;
      }
      context.schedule(
          () -> {
            if (inFlight.peek() == item && !dead.get()) {
              process.destroyForcibly();
            }
          },
          TimeUnit.MILLISECONDS.toNanos(CANCEL_GRACE_MILLIS));
    }

    /**
     * Lets go of {@link #sending}, first writing the cancel frames that wait; takes it again if
     * more came as it let go, so none is left behind.
     */
    private void unlockSending() {
      while (true) {
        if (!controls.isEmpty()) {
          try {
            for (long[] c = controls.poll(); c != null; c = controls.poll()) {
              Frames.write(out, (byte) c[0], c[1], new byte[0]);
            }
            out.flush();
          } catch (IOException e) {
            controls.clear(); // the worker is gone: its jobs end with it
            breakChannel(e);
          }
        }
        sending.unlock();
        if (controls.isEmpty() || !sending.tryLock()) {
          return;
        }
      }
    }

    /** A runaway past its deadline: only killing its JVM stops it. */
    @Override
    public String stopOverdue(WorkItem item) {
      process.destroyForcibly();
      return "its worker " + name + " (pid " + pid + ") was killed";
    }

    Worker(String name, Process process, java.nio.MappedByteBuffer rings, Path recordTo) {
      this.name = name;
      this.handle = context.worker(name);
      this.recordTo = recordTo;
      this.process = process;
      this.pid = process.pid();
      this.label = name + " pid " + pid;
      this.toStdin = process.getOutputStream();
      java.util.function.BooleanSupplier alive = () -> !ended && process.isAlive();
      this.fromWorker = Ring.of(rings, 1).new In(alive);
      this.in = new DataInputStream(fromWorker);
      this.out = new DataOutputStream(Ring.of(rings, 0).new Out(this::ringWorker, alive));
      this.watcher =
          Thread.ofPlatform()
              .daemon(true)
              .name(serverName + "-" + name + "-watcher")
              .unstarted(this::watch);
      // output flows from the start: a worker that cannot start says why on standard error
      String prefix = "[" + label + "] ";
      stdoutPump = pumpStdout(prefix);
      stderrPump = pumpStderr(prefix);
      process
          .onExit()
          .thenRun( // its standard output may outlive it, held by a process it started
              () -> {
                ended = true;
                greeted.countDown();
                signal();
              });
    }

    /** Rings the worker: a byte on its standard input. Holds {@link #sending}. */
    private void ringWorker() throws IOException {
      toStdin.write(1);
      toStdin.flush();
    }

    /**
     * Waits until the worker greets through the ring, then runs the initializer, if there is one.
     * Returns false if the server began to stop first.
     *
     * @throws IOException if the worker exits, or has not greeted by {@code deadline}
     */
    boolean awaitGreeting(long deadline) throws IOException, InterruptedException {
      while (!greeted.await(100, TimeUnit.MILLISECONDS)) {
        if (stopping) {
          return false;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException(
              name
                  + " did not start within "
                  + TimeUnit.NANOSECONDS.toSeconds(CONNECT_TIMEOUT_NANOS)
                  + " s"
                  + lastWords());
        }
      }
      if (stopping) {
        return false;
      }
      if (!fromWorker.ready()) {
        throw new IOException(name + " ended before it was ready" + lastWords());
      }
      Frames.Frame hello = Frames.read(in, maxFrame);
      if (hello.type() != Frames.HELLO || hello.id() != pid) {
        throw new IOException(name + " sent a bad greeting: type " + hello.type());
      }
      if (initializer != null) {
        initialize();
      }
      return true;
    }

    /** What a worker that failed to start said, once it has exited. */
    private String lastWords() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
      stderrPump.join(TimeUnit.SECONDS.toMillis(2));
      stdoutPump.join(TimeUnit.SECONDS.toMillis(2)); // the JVM's own start-up errors go there
      String exit = process.isAlive() ? "" : " (exit code " + process.exitValue() + ")";
      synchronized (lastErrors) {
        return exit + (lastErrors.isEmpty() ? "" : ": " + String.join("\n", lastErrors));
      }
    }

    /** Runs the initializer as the worker's job 0 and waits for it, before any task is sent. */
    private void initialize() throws IOException {
      Frames.writeInlineTask(out, 0, false, initializer, codec.encode(null));
      out.flush();
      Frames.Frame reply = Frames.read(in, maxFrame);
      if (reply.type() == Frames.RESULT && reply.id() == 0) {
        return;
      }
      if (reply.type() != Frames.FAILURE || reply.id() != 0) {
        throw new IOException(
            name + " answered its initializer with a frame of type " + reply.type());
      }
      Object error = codec.decode(reply.payload(), 8, reply.payload().length - 8);
      throw new IOException(
          name + " (pid " + pid + "): the initializer failed: " + error,
          error instanceof Throwable t ? t : null);
    }

    void start() {
      serving = true;
      watcher.start();
      signal(); // a first look: rings that came before serving began were not served
      dispatcher =
          Thread.ofPlatform()
              .daemon(true)
              .name(serverName + "-" + name + "-dispatcher")
              .start(this::dispatch);
    }

    /** Forwards the worker's standard error line by line, and keeps its last lines. */
    private Thread pumpStderr(String prefix) {
      return Thread.ofPlatform()
          .daemon(true)
          .name(serverName + "-" + name + "-stderr")
          .start(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                  for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (recordTo == null || !WorkerCache.isRecordingChatter(line)) {
                      System.err.println(prefix + line);
                      remember(line);
                    }
                  }
                } catch (IOException e) {
                  // the process is gone
                }
              });
    }

    /**
     * Reads the worker's standard output: forwards what its tasks print line by line, and serves
     * the ring when the worker rings ({@link Stdout}). The end of the stream is the end of the
     * worker (or of its standard output, which it needs).
     */
    private Thread pumpStdout(String prefix) {
      return Thread.ofPlatform()
          .daemon(true)
          .name(serverName + "-" + name + "-stdout")
          .start(
              () -> {
                Stdout.Decoder decoder = new Stdout.Decoder(line -> printLater(prefix, line));
                byte[] chunk = new byte[8192];
                try (InputStream stream = process.getInputStream()) {
                  for (int n = stream.read(chunk); n >= 0; n = stream.read(chunk)) {
                    if (decoder.feed(chunk, n) > 0) {
                      rung();
                    }
                  }
                } catch (IOException e) {
                  // the process is gone
                }
                decoder.finish();
                if (printer != null) {
                  enqueue(END_OF_OUTPUT);
                }
                ended = true;
                greeted.countDown();
                signal();
              });
    }

    /**
     * Hands a line the worker printed to its printer thread, so that the thread reading the
     * worker's standard output (and its rings) waits for this JVM's console only once {@value
     * #PRINTED_LINES_QUEUED} lines wait.
     */
    private void printLater(String prefix, String line) {
      if (recordTo != null && WorkerCache.isRecordingChatter(line)) {
        return;
      }
      if (!serving || isJvmDeathNotice(line)) {
        remember(line); // before it is ready, anything it says may be why it never got there
      }
      if (printer == null) {
        printer =
            Thread.ofPlatform()
                .daemon(true)
                .name(serverName + "-" + name + "-printer")
                .start(
                    () -> {
                      try {
                        for (String l = printed.take(); l != END_OF_OUTPUT; l = printed.take()) {
                          System.out.println(l);
                        }
                      } catch (InterruptedException e) {
                        // this JVM is going down
                      }
                    });
      }
      enqueue(prefix + line);
    }

    private void enqueue(String line) {
      try {
        printed.put(line);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /**
     * Keeps a line for crash reports: its error lines, and what the JVM itself says on standard
     * output when it dies of an OutOfMemoryError or a native crash.
     */
    private void remember(String line) {
      synchronized (lastErrors) {
        if (lastErrors.size() == ERROR_LINES_KEPT) {
          lastErrors.removeFirst();
        }
        lastErrors.addLast(line);
      }
    }

    /**
     * The worker rang: outcomes wait in the ring. Before it is served, the ring is its greeting.
     */
    private void rung() {
      if (!serving) {
        greeted.countDown();
        return;
      }
      try {
        serveRing();
      } catch (IOException e) {
        breakChannel(e);
      }
    }

    /** Reads outcomes while they come, unless another thread reads them now. */
    private void serveRing() throws IOException {
      while (role.tryAcquire()) {
        try {
          consume(null);
        } finally {
          role.release();
        }
        if (!fromWorker.pending()) {
          break; // else it came as this thread let go: its ring may have found the role held
        }
      }
    }

    /** Makes the watcher look at the worker. */
    private void signal() {
      signalled = true;
      java.util.concurrent.locks.LockSupport.unpark(watcher);
    }

    /**
     * Feeds an idle worker: a new one, or one whose jobs ended with nothing queued, when a job is
     * queued ({@link #workAvailable} wakes it). While a worker has jobs in flight its reader tops
     * it up as results come ({@link #topUp}), so in a stream of jobs no thread is woken to
     * dispatch, and a job is never sent past the window to a worker that only looked idle.
     */
    private void dispatch() {
      while (!dead.get() && !retiring) {
        if (count.get() == 0) {
          WorkItem item = source.poll();
          if (item != null) {
            sendBatch(item);
            continue;
          }
        }
        idleWanted = true;
        if (count.get() != 0 || source.isEmpty()) {
          java.util.concurrent.locks.LockSupport.parkNanos(
              this, TimeUnit.MILLISECONDS.toNanos(WAKE_MILLIS));
        }
        idleWanted = false;
      }
    }

    /** Wakes the dispatcher if this worker is idle and waits for work. */
    void wake() {
      if (idleWanted && count.get() == 0) {
        java.util.concurrent.locks.LockSupport.unpark(dispatcher);
      }
    }

    /** Sends {@code first} and every job queued after it, up to the window, in one write. */
    private void sendBatch(WorkItem first) {
      sending.lock();
      try {
        WorkItem item = first;
        while (item != null) {
          send(item);
          if (dead.get() || retiring || count.get() >= window) {
            break;
          }
          item = source.poll();
        }
        out.flush();
      } catch (IOException e) {
        breakChannel(e);
      } finally {
        unlockSending();
      }
    }

    /** On the reader, when it has no more results at hand: refills the window from the queue. */
    private void topUp() {
      // refilled once half the window is free, so that each write (and the ring that may wake
      // the worker's reader) carries a batch, not one job per result
      if (!dead.get() && !retiring && count.get() <= window / 2 && !source.isEmpty()) {
        WorkItem item = source.poll();
        if (item != null) {
          sendBatch(item);
        }
      }
      wake();
    }

    /**
     * Sends {@code item} at once if this worker is idle and nothing is queued: a job submitted to
     * an idle pool starts without waking a dispatcher.
     */
    boolean offer(WorkItem item) {
      if (count.get() != 0 || dead.get() || retiring || !sending.tryLock()) {
        return false;
      }
      try {
        if (count.get() != 0 || dead.get() || retiring) {
          return false;
        }
        send(item);
        out.flush();
      } catch (IOException e) {
        breakChannel(e); // the job is in flight: it is retried or given back with the others
      } finally {
        unlockSending();
      }
      return true;
    }

    /** Sends one job, its function first if the worker lacks it. Holds {@link #sending}. */
    private void send(WorkItem item) throws IOException {
      if (shutdownSent) { // told to exit: the job goes to another worker, uncounted
        item.release();
        return;
      }
      Shipment shipment;
      try {
        shipment = (Shipment) item.prepared(ProcessBackend.this); // encoded at submit, or now
      } catch (RuntimeException e) {
        item.fail(e); // taken from a server whose first backend runs it in place: not here
        return;
      }
      if (!item.assign(handle, this)) {
        return; // cancelled while queued, or this worker was just lost
      }
      item.awaitedWith(helper);
      boolean alone = count.get() == 0 && source.isEmpty() && othersIdle();
      synchronized (this) {
        if (dead.get()) {
          return; // its loss covers the item, which the server holds as assigned here
        }
        inFlight.add(item);
        count.incrementAndGet();
        if (inFlight.peek() == item) {
          item.started(); // the worker was idle: it starts this one now
        }
      }
      Shipment.Function function = shipment.function();
      if (function.reusable()) {
        Integer slot = slotOf.get(function);
        if (slot == null) {
          slot = nextSlot;
          nextSlot = (nextSlot + 1) % FUNCTION_SLOTS;
          if (inSlot[slot] != null) {
            slotOf.remove(inSlot[slot]);
          }
          inSlot[slot] = function;
          slotOf.put(function, slot);
          Frames.write(out, Frames.DEFINE, slot, function.bytes());
        }
        Frames.writeTask(out, item.jobId(), alone, slot, shipment.captured(), shipment.argument());
      } else {
        Frames.writeInlineTask(out, item.jobId(), alone, function.bytes(), shipment.argument());
      }
      if (++sent == options.maxTasksPerWorker()) {
        retiring = true; // recycled: it finishes what it holds, and a fresh worker takes over
        maybeStartWorker();
      }
    }

    /** Whether no other worker holds a job: with nothing queued, the server holds no other. */
    private boolean othersIdle() {
      for (Worker w : live) {
        if (w != this && w.count.get() != 0) {
          return false;
        }
      }
      return true;
    }

    /** Keeps about {@link #QUEUED_WORK_NANOS} of work in flight, by recent run times. */
    private void ran(long runNanos) {
      double mean = meanRunNanos < 0 ? runNanos : 0.8 * meanRunNanos + 0.2 * runNanos;
      meanRunNanos = mean;
      window = (int) Math.min(MAX_WINDOW, 1 + QUEUED_WORK_NANOS / Math.max(1.0, mean));
    }

    /**
     * The watcher thread: waits to be signalled (the worker is gone, its channel broke, a thread
     * that read outcomes left some unread); when the worker is gone, reads what it published before
     * it went, then reports it dead. Outcomes that the worker rings for are read by the thread that
     * reads its standard output, with no thread to wake.
     */
    private void watch() {
      IOException cause;
      try {
        cause = watchUntilGone();
      } catch (IOException e) {
        cause = e;
      }
      role.acquireUninterruptibly(); // never given back: nobody reads a dead worker's channel
      died(cause);
    }

    /** Serves until the worker is gone or its channel broke; returns why. */
    private IOException watchUntilGone() throws IOException {
      while (true) {
        while (!signalled) {
          java.util.concurrent.locks.LockSupport.park(this);
        }
        signalled = false;
        if (broken != null) {
          return broken;
        }
        if (ended) {
          role.acquireUninterruptibly();
          try {
            while (fromWorker.ready()) {
              consumeOne(); // sent before it went: those jobs are done, not crashed
            }
          } catch (IOException e) {
            // a frame cut short by the end
          } finally {
            role.release();
          }
          return new java.io.EOFException();
        }
        serveRing();
      }
    }

    /** A writer or a helper found the channel broken: the reader thread reports the worker. */
    private void breakChannel(IOException e) {
      if (broken == null) {
        broken = e;
      }
      signal();
    }

    /**
     * Lets a thread waiting for one of this worker's jobs read outcomes itself, for about {@link
     * Ring#SPIN_NANOS} or until {@code done}, instead of sleeping until the reader thread wakes it:
     * that takes a thread wake-up out of each round trip.
     */
    private void help(java.util.function.BooleanSupplier done) {
      if (ended || broken != null || dead.get()) {
        return;
      }
      long since = System.nanoTime();
      while (!role.tryAcquire()) { // the reader thread lets go once it has read what was there
        if (done.getAsBoolean() || System.nanoTime() - since > HANDOVER_NANOS) {
          return; // the caller sleeps until the job ends
        }
        Thread.onSpinWait();
      }
      boolean wake;
      try {
        wake = consume(done) == UNREAD;
      } catch (IOException e) {
        if (broken == null) {
          broken = e;
        }
        wake = true;
      } finally {
        role.release();
      }
      if (wake || fromWorker.pending()) {
        signal(); // outcomes wait that nobody reads: the watcher takes them
      }
    }

    /**
     * Reads outcomes while they come; holds {@link #role}. Returns IDLE when none came for {@link
     * #spinNanos} (the worker rings from then on). With {@code done} (a helper), returns once it
     * holds: UNREAD if outcomes wait that nobody reads.
     */
    private int consume(java.util.function.BooleanSupplier done) throws IOException {
      fromWorker.active();
      while (true) {
        if (broken != null) {
          throw broken;
        }
        if (!fromWorker.ready()) {
          topUp();
          if (!fromWorker.awaitReady(spinNanos(done != null)) && fromWorker.idle()) {
            return IDLE;
          }
        }
        consumeOne();
        if (done != null && done.getAsBoolean()) {
          return fromWorker.idle() ? IDLE : UNREAD;
        }
      }
    }

    /**
     * How long a consumer stays awake for the next outcome. The reader thread does not: awake in a
     * stream of jobs it takes a core from the threads that submit and run them, and an outcome that
     * finds it asleep costs the worker one ring. A thread waiting for a result stays awake only
     * when its job is the worker's only one and this worker's jobs are short, as in one submit and
     * get after another; in a stream it reads what is there and sleeps.
     */
    private long spinNanos(boolean helping) {
      return helping && count.get() <= 1 && meanRunNanos < Ring.SPIN_NANOS ? Ring.SPIN_NANOS : 0;
    }

    /** Reads one outcome and ends its job. */
    private void consumeOne() throws IOException {
      Frames.Frame frame = Frames.read(in, maxFrame);
      if (frame.type() != Frames.RESULT && frame.type() != Frames.FAILURE) {
        throw new IOException(name + " sent a frame of type " + frame.type());
      }
      byte[] payload = frame.payload();
      if (payload.length < 8) { // checked before the job leaves inFlight: died() retries it
        throw new IOException(name + " sent an outcome of " + payload.length + " bytes");
      }
      WorkItem item = inFlight.peek();
      if (item == null || item.jobId() != frame.id()) {
        throw new IOException(
            name
                + " answered job "
                + frame.id()
                + ", expected "
                + (item == null ? "none" : "job " + item.jobId()));
      }
      long now = context.now(); // this one's end, and the start of the next
      synchronized (this) {
        inFlight.poll();
        count.decrementAndGet();
        WorkItem next = inFlight.peek();
        if (next != null) {
          next.started(now); // the worker runs its jobs in order: the next starts now
        }
      }
      ran(java.nio.ByteBuffer.wrap(payload).getLong());
      switch (frame.type()) {
        case Frames.RESULT -> {
          Object result = null;
          IOException undecodable = null;
          try {
            result = codec.decode(payload, 8, payload.length - 8);
          } catch (IOException e) {
            undecodable = e;
          }
          if (undecodable == null) {
            item.complete(result, now);
          } else {
            item.fail(undecodable, now);
          }
        }
        case Frames.FAILURE -> {
          Throwable error;
          try {
            error = (Throwable) codec.decode(payload, 8, payload.length - 8);
          } catch (IOException | ClassCastException e) {
            error = e;
          }
          item.fail(error, now);
        }
        default -> throw new AssertionError("checked above: " + frame.type());
      }
      if (retiring && inFlight.isEmpty()) {
        stop();
      }
    }

    /** Asks the worker to finish what it has and exit. */
    void retire() {
      retiring = true;
      if (inFlight.isEmpty()) {
        stop();
      }
    }

    private void stop() {
      sending.lock();
      try {
        if (!shutdownSent) {
          shutdownSent = true;
          Frames.write(out, Frames.SHUTDOWN, 0, new byte[0]);
          out.flush();
        }
      } catch (IOException e) {
        // already gone; the reader will notice
      } finally {
        unlockSending();
      }
    }

    private void died(IOException cause) {
      if (!dead.compareAndSet(false, true)) {
        return;
      }
      try {
        toStdin.close(); // a worker still there (it broke the protocol) halts at the end
      } catch (IOException e) {
        // closing anyway
      }
      boolean ended;
      try {
        ended = process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ended = false;
      }
      if (!ended) {
        process.destroyForcibly();
      }
      String exit;
      try {
        int code = process.waitFor();
        exit = code > 128 ? "killed by signal " + (code - 128) : "exit code " + code;
        if (!(cause instanceof java.io.EOFException)) {
          exit += ", after " + cause.getMessage(); // it broke the protocol, or its channel broke
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exit = "unknown exit (" + cause + ")";
      }
      try { // the last lines it wrote may still be in the pipes: forward them, keep them for the
        // report
        stderrPump.join(TimeUnit.SECONDS.toMillis(2));
        stdoutPump.join(TimeUnit.SECONDS.toMillis(2));
        Thread p = printer;
        if (p != null) {
          p.join(TimeUnit.SECONDS.toMillis(2));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      List<String> errors;
      synchronized (lastErrors) {
        errors = List.copyOf(lastErrors);
      }
      if (recordTo != null) {
        cache.install(recordTo);
        recording.set(false);
      }
      count.set(0);
      inFlight.clear();
      // the server holds the leases: the one running counts an attempt, those behind it do not
      handle.lost(new WorkerLoss(exit, pid, errors));
      live.remove(this);
      maybeStartWorker(); // replaces a crash, or a retirement too many
      checkTerminated();
    }
  }
}
