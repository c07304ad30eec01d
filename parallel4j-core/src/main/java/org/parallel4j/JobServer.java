package org.parallel4j;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.parallel4j.codec.KryoCodec;
import org.parallel4j.observe.Dashboard;
import org.parallel4j.observe.Recorder;
import org.parallel4j.process.ProcessBackend;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.Codec;
import org.parallel4j.spi.TaskBody;
import org.parallel4j.threads.ThreadBackend;

/**
 * Runs tasks on threads, virtual threads, worker processes or cluster nodes, behind one API:
 * Parallel Python's {@code Server}, and a {@link ExecutorService} for existing Java code.
 *
 * {@snippet lang = java :
 * try (JobServer server = JobServer.threads(4)) {
 *   Job<Long> job = server.submit(x -> x * x, 12L);          // pp: submit(func, args)
 *   job.whenComplete((square, error) -> log(square));           // pp: callback
 *   long square = job.join();                                   // pp: job()
 *   List<Long> squares = server.map(x -> x * x, List.of(1L, 2L, 3L));
 *   server.setWorkers(8);                                        // pp: set_ncpus
 *   System.out.print(server.stats());                            // pp: print_stats
 * }
 * }
 *
 * <h2>Engines and settings</h2>
 *
 * <ul>
 *   <li>{@link #threads(int)}: a fixed number of platform threads, started on demand and kept.
 *   <li>{@link #virtualThreads()}: one virtual thread per running job, with no limit by default
 *       ({@link JobServerBuilder#virtualThreads(int)} sets one); for work that waits on I/O.
 *   <li>{@link #processes(int)}: worker JVMs, for isolation.
 *   <li>{@link #builder()}: the server's {@linkplain JobServerBuilder#name name} (default {@code
 *       parallel4j-N}), the engine, backends of your own ({@link JobServerBuilder#backend}), the
 *       codec, and the {@linkplain JobServerBuilder#ticker ticker} for timings.
 * </ul>
 *
 * <h2>Backends</h2>
 *
 * A server feeds any number of {@link Backend}s from one queue: the builder's engine and any
 * backend given to it, and those {@linkplain #addBackend added} and {@linkplain #removeBackend
 * removed} while it runs. The server holds a lease for every job a backend takes, so when a worker
 * or a whole backend is lost it runs again exactly the jobs that had not ended there (see {@link
 * org.parallel4j.spi.WorkItem}).
 *
 * <h2>Jobs</h2>
 *
 * Each submission returns a {@link Job}. A task's exception fails only its own job; the server and
 * other jobs go on. Bulk work: {@link #map} (results in input order, chunked), {@link
 * #mapUnordered} (a lazy stream in completion order with a bounded number of jobs in flight),
 * {@link #group} (pp's groups), {@link #waitFor} and {@link #asCompleted}. Callbacks and {@code
 * *Async} stages without an executor run on the server's callback threads ({@code
 * name-callback-N}).
 *
 * <h2>Lifecycle</h2>
 *
 * {@link #shutdown()} stops accepting jobs and lets accepted ones finish; {@link #close()} does
 * that and waits; {@link #shutdownNow()} also cancels queued jobs and interrupts running ones. A
 * submission after shutdown throws {@link RejectedExecutionException} with a snapshot of the
 * server's state.
 *
 * <p>Thread-safe. Memory consistency effects: actions in a thread before it submits a task
 * happen-before the task runs, which happen-before its job completes.
 *
 * <h2>Implementation</h2>
 *
 * <b>Scheduling.</b> One FIFO queue per server; each {@link Backend} pulls from it through its own
 * {@link Lane} whenever it has a free worker, which balances load by capacity with no central
 * dispatcher. Each item taken is a {@link Lease}; the lane finds the leases of a lost worker in
 * that worker's own list. A submit reads the lanes as one array, replaced whole under this server's
 * monitor when a backend is added, removed or lost. A backend with an idle slot (a new worker below
 * its limit) may take a new job directly, as {@code ThreadPoolExecutor} hands a first task to a new
 * worker, so that virtual threads run one job each with no queue in between.
 *
 * <p><b>Accounting.</b> Every job takes an id, in order, and every job ends exactly once (it runs,
 * is dropped as cancelled, is drained by shutdownNow, or is rejected): {@code retired} counts those
 * ends, so {@code ids - retired} jobs are active and, off the hot path, no counter is shared
 * between submitters and workers. The server terminates once the two are equal after shutdown: a
 * submitter takes its id before it re-reads the run state, and shutdown writes the state before it
 * compares, so a job is either rejected or waited for, never lost. Reading {@code retired} before
 * {@code ids} keeps the comparison safe while both move, as retired never exceeds ids.
 */
public final class JobServer implements ExecutorService {
  /**
   * The logger, made on first use: a fresh JVM's first System.getLogger looks up logging services
   * reflectively (docs/benchmarks.md, start-up), which a server that never logs should not pay as
   * it starts.
   */
  private static final class Log {
    static final System.Logger LOG = System.getLogger(JobServer.class.getName());
  }

  private static final AtomicInteger SERVERS = new AtomicInteger();
  private static final int RUNNING = 0;
  private static final int SHUTDOWN = 1;
  private static final int STOP = 2;
  private static final int TERMINATED = 3;

  private final String name;
  private final Ticker ticker;
  private final long startedAt;
  private final java.util.concurrent.LinkedBlockingQueue<Work> queue =
      new java.util.concurrent.LinkedBlockingQueue<>();
  // the backends taking work, in the order added, replaced whole under this server's monitor: a
  // submit reads one array; every backend ever added, for stats and termination
  private volatile Lane[] lanes = new Lane[0];
  private final java.util.concurrent.CopyOnWriteArrayList<Lane> everyLane =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Lane engine; // the builder's local engine, whose workers setWorkers sets; or null
  private final Codec givenCodec; // or null: Kryo, made on first use
  private volatile Codec codec;
  private final AtomicLong ids = new AtomicLong();
  private final LongAdder retired = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final Counters counters = new Counters();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final AtomicInteger terminating = new AtomicInteger();
  private volatile int runState = RUNNING;
  private final ServerThreads threads;
  private volatile javax.management.ObjectName mbean; // with JobServerBuilder.jmx(): until the end
  private final Recorder recorder; // with a dashboard: spans, failures, progress; else null
  private volatile Dashboard dashboard; // with JobServerBuilder.dashboard(...): until the end
  private final int maxAttempts;
  private final long defaultDeadlineNanos;

  JobServer(JobServerBuilder.Config b) {
    this.name = b.name() != null ? b.name() : "parallel4j-" + SERVERS.incrementAndGet();
    this.threads = new ServerThreads(name);
    this.ticker = b.ticker();
    this.startedAt = ticker.read();
    this.maxAttempts = b.maxAttempts();
    this.defaultDeadlineNanos = b.deadlineNanos();
    this.givenCodec = b.codec();
    this.recorder = b.dashboard() == null ? null : new Recorder(ticker::read);
    List<Backend> backends = new ArrayList<>();
    if (b.engine() != null) {
      backends.add(
          b.engine() == JobServerBuilder.Engine.PROCESSES
              ? new ProcessBackend(b.workers(), b.workerOptions())
              : new ThreadBackend(b.engine() == JobServerBuilder.Engine.VIRTUAL, b.workers()));
    }
    backends.addAll(b.backends());
    Lane first = null;
    try {
      for (Backend backend : backends) {
        Lane lane = startLane(backend);
        if (first == null) {
          first = lane;
        }
      }
    } catch (RuntimeException e) { // a backend that cannot start: stop the ones that did
      for (Lane lane : lanes) {
        lane.stop();
      }
      throw e;
    }
    this.engine = b.engine() == null ? null : first;
  }

  private Lane startLane(Backend backend) {
    Objects.requireNonNull(backend, "backend");
    Lane lane = new Lane(this, backend);
    backend.start(lane);
    lane.started();
    synchronized (this) {
      lanes = with(lanes, lane);
      everyLane.add(lane);
    }
    return lane;
  }

  private static Lane[] with(Lane[] all, Lane lane) {
    Lane[] more = java.util.Arrays.copyOf(all, all.length + 1);
    more[all.length] = lane;
    return more;
  }

  /** Takes {@code lane} out of those fed; false if it was not there. Holds this monitor. */
  private boolean unfeed(Lane lane) {
    List<Lane> rest = new ArrayList<>(List.of(lanes));
    boolean removed = rest.remove(lane);
    lanes = rest.toArray(new Lane[0]);
    return removed;
  }

  /**
   * Adds a backend while the server runs: it is started and takes queued jobs at once, beside the
   * others, from the one queue.
   *
   * @throws IllegalStateException after shutdown, or when the backend cannot start
   * @throws IllegalArgumentException when the backend was added before
   */
  public void addBackend(Backend backend) {
    Objects.requireNonNull(backend, "backend");
    Lane lane = new Lane(this, backend);
    synchronized (this) {
      checkAdding(backend);
      everyLane.add(lane); // reserved: termination waits for it from here on
    }
    try {
      backend.start(lane); // outside the monitor: a backend may take seconds to start
    } catch (RuntimeException e) {
      everyLane.remove(lane);
      lane.stopped(); // it never ran
      throw e;
    }
    lane.started();
    synchronized (this) {
      if (runState != RUNNING) { // shut down while it started
        lane.stop();
        throw new IllegalStateException(
            snapshot("cannot add backend " + backend.name() + ": the job server is shut down"));
      }
      lanes = with(lanes, lane);
    }
    backend.workAvailable();
  }

  private void checkAdding(Backend backend) {
    if (runState != RUNNING) {
      throw new IllegalStateException(
          snapshot("cannot add backend " + backend.name() + ": the job server is shut down"));
    }
    for (Lane lane : everyLane) {
      if (lane.backend() == backend) {
        throw new IllegalArgumentException("backend: " + backend.name() + " (already added)");
      }
    }
  }

  /**
   * Removes a backend while the server runs: it takes no more jobs, finishes those it holds, and
   * stops. A job it still held when it stopped goes back to the queue. Its row stays in {@link
   * #stats()}.
   *
   * @return completes once the backend has stopped
   * @throws IllegalArgumentException when the backend is not one of this server's
   */
  public CompletableFuture<Void> removeBackend(Backend backend) {
    Objects.requireNonNull(backend, "backend");
    Lane lane = null;
    synchronized (this) {
      for (Lane l : lanes) {
        if (l.backend() == backend) {
          lane = l;
        }
      }
      if (lane == null) {
        throw new IllegalArgumentException(
            "backend: " + backend.name() + " (expected: one of " + backendNames() + ")");
      }
      lane.close();
      unfeed(lane);
    }
    return lane.stop();
  }

  /** The backends taking work now, in the order they were added. */
  public List<Backend> backends() {
    List<Backend> all = new ArrayList<>();
    for (Lane lane : lanes) {
      all.add(lane.backend());
    }
    return all;
  }

  private List<String> backendNames() {
    List<String> names = new ArrayList<>();
    for (Lane lane : lanes) {
      names.add(lane.backendName());
    }
    return names;
  }

  /** A backend reported itself lost: it is no longer fed. */
  void lost(Lane lane) {
    synchronized (this) {
      unfeed(lane);
    }
    lane.stop(); // it may still run threads of its own; termination does not wait for them
    lane.stopped();
  }

  /** A server with {@code workers} platform threads. */
  public static JobServer threads(int workers) {
    return builder().threads(workers).build();
  }

  /** A server that runs each job on its own virtual thread, with no limit on how many. */
  public static JobServer virtualThreads() {
    return builder().virtualThreads().build();
  }

  /**
   * A server with one worker process per available processor (Parallel Python's {@code ncpus}
   * detection).
   */
  public static JobServer processes() {
    return processes(Runtime.getRuntime().availableProcessors());
  }

  /**
   * A server with {@code workers} worker processes: JVMs started with this JVM's class path. Tasks,
   * what they capture, their arguments and results must be {@link java.io.Serializable}.
   */
  public static JobServer processes(int workers) {
    return builder().processes(workers).build();
  }

  /** A builder for the server's options. */
  public static JobServerBuilder builder() {
    return new JobServerBuilder();
  }

  /** The server's name, used in thread names, stats and error messages. */
  public String name() {
    return name;
  }

  // ---- submit -------------------------------------------------------------------------------

  /**
   * Runs {@code fn(argument)}: Parallel Python's {@code submit(func, args)}.
   *
   * @throws RejectedExecutionException after shutdown
   */
  public <A, R> Job<R> submit(Task.Fn<? super A, ? extends R> fn, A argument) {
    Objects.requireNonNull(fn, "fn");
    return start(fn, argument, 0);
  }

  /**
   * Runs {@code fn(argument)} and then {@code callback(result, error)} exactly once, on the thread
   * that completed the job (pp's {@code callback}). A callback that throws is logged; it does not
   * change the job's outcome.
   */
  public <A, R> Job<R> submit(
      Task.Fn<? super A, ? extends R> fn,
      A argument,
      BiConsumer<? super R, ? super Throwable> callback) {
    Objects.requireNonNull(callback, "callback");
    Job<R> job = submit(fn, argument);
    job.whenComplete(
        (result, error) -> {
          try {
            callback.accept(result, error);
          } catch (Throwable t) {
            Log.LOG.log(Level.WARNING, name + ": the callback of job " + job.id() + " threw", t);
          }
        });
    return job;
  }

  /** Runs {@code task.call()}. */
  public <R> Job<R> submit(Task.Call<R> task) {
    Objects.requireNonNull(task, "task");
    return start(task, null, 0);
  }

  /**
   * Runs {@code fn(argument)}, which may run at most {@code deadline} from when it starts. Past it
   * the job fails with {@link TaskTimeoutException}: on worker processes its worker is killed and
   * replaced, on threads its thread is interrupted. Other jobs are not disturbed.
   */
  public <A, R> Job<R> submit(
      Task.Fn<? super A, ? extends R> fn, A argument, java.time.Duration deadline) {
    Objects.requireNonNull(fn, "fn");
    return start(fn, argument, deadlineNanos(deadline));
  }

  /**
   * Runs {@code task.call()} within {@code deadline}; see {@link #submit(Task.Fn, Object,
   * java.time.Duration)}.
   */
  public <R> Job<R> submit(Task.Call<R> task, java.time.Duration deadline) {
    Objects.requireNonNull(task, "task");
    return start(task, null, deadlineNanos(deadline));
  }

  /** Takes an id for a new job and queues it; {@code deadlineNanos} 0 means the default. */
  private <R> Job<R> start(TaskBody task, Object argument, long deadlineNanos) {
    Job<R> job = newJob();
    Work work = new Work(job, task, argument);
    work.deadlineNanos = deadlineNanos;
    accept(work);
    return job;
  }

  static long deadlineNanos(java.time.Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline: " + deadline + " (expected: > 0)");
    }
    return deadline.toNanos();
  }

  /** Runs a plain {@link Callable}; on engines that ship tasks it must be serializable. */
  @Override
  public <T> Job<T> submit(Callable<T> task) {
    Objects.requireNonNull(task, "task");
    return submit(task instanceof Task.Call<T> call ? call : new Invocations.CallableTask<>(task));
  }

  @Override
  public Job<?> submit(Runnable task) {
    return submit(task, null);
  }

  @Override
  public <T> Job<T> submit(Runnable task, T result) {
    Objects.requireNonNull(task, "task");
    return submit(new Invocations.RunnableTask<>(task, result));
  }

  /** Runs {@code command}; a failure is logged, as nobody holds its job. */
  @Override
  public void execute(Runnable command) {
    Objects.requireNonNull(command, "command");
    submit(new Invocations.RunnableTask<>(command, null))
        .whenComplete(
            (r, error) -> {
              if (error != null && !(error instanceof CancellationException)) {
                Log.LOG.log(Level.WARNING, name + ": a task given to execute() failed", error);
              }
            });
  }

  /**
   * A group of jobs that can be awaited together: Parallel Python's {@code submit(..., group=name)}
   * and {@code wait(group)}.
   */
  public <R> JobGroup<R> group(String groupName) {
    Objects.requireNonNull(groupName, "groupName");
    return new JobGroup<>(this, groupName);
  }

  private <R> Job<R> newJob() {
    return new Job<>(this, ids.incrementAndGet(), ticker.read());
  }

  private void accept(Work work) {
    if (runState != RUNNING) { // after the id was taken: see "Accounting" above
      retire();
      throw new RejectedExecutionException(snapshot("job server is shut down"));
    }
    if (work.deadlineNanos == 0) {
      work.deadlineNanos = defaultDeadlineNanos;
    }
    Lane[] now = lanes;
    if (now.length > 0) {
      try {
        work.preparedFor(now[0].backend()); // others prepare it if they take it
      } catch (RuntimeException e) { // refused: the job was never accepted
        retire();
        throw e;
      }
    }
    if (Events.QUEUED.isEnabled()) {
      Events.JobQueued e = new Events.JobQueued();
      e.server = name;
      e.job = work.job.id();
      e.commit();
    }
    for (Lane lane : now) {
      if (lane.offer(work)) {
        return;
      }
    }
    queue.add(work);
    for (Lane lane : lanes) { // read again: a backend added meanwhile may have no worker awake
      lane.backend().workAvailable();
    }
  }

  /** A job whose worker was lost goes back to the queue for another attempt. */
  void requeue(Work work) {
    queue.add(work);
    for (Lane lane : lanes) {
      lane.backend().workAvailable();
    }
  }

  /**
   * Runs {@code action} after {@code nanos} on the server's timer thread ({@code NAME-timer},
   * started on first use).
   */
  java.util.concurrent.ScheduledFuture<?> schedule(Runnable action, long nanos) {
    return threads.schedule(action, nanos);
  }

  /** The codec for backends that ship jobs: the builder's, or Kryo's, made on first use. */
  Codec codec() {
    Codec c = codec;
    if (c == null) {
      synchronized (this) {
        c = codec;
        if (c == null) {
          c = givenCodec != null ? givenCodec : new KryoCodec();
          codec = c;
        }
      }
    }
    return c;
  }

  static System.Logger logger() {
    return Log.LOG;
  }

  /** How many times a job may be started before a lost worker fails it. */
  int maxAttempts() {
    return maxAttempts;
  }

  /** Whether shutdownNow was called. */
  boolean isStopping() {
    return runState >= STOP;
  }

  /** A job ended without running (cancelled while queued, or drained): count it. */
  void dropped() {
    dropped.increment();
  }

  /**
   * One job is finished with: its future is complete and its callbacks have run, so close() may
   * return once none is left.
   */
  void retire() {
    retired.increment();
    if (runState != RUNNING) {
      checkTermination();
    }
  }

  /** Jobs submitted and not yet ended; cheap, for stats and the dashboard. */
  long active() {
    long r = retired.sum(); // first: see "Accounting"
    return ids.get() - r;
  }

  /** Jobs ended in any way; cheap, for stats and the dashboard. */
  long completed() {
    long n = dropped.sum();
    for (Lane lane : everyLane) {
      n += lane.jobs();
    }
    return n;
  }

  private void checkTermination() {
    if (active() == 0) {
      tryTerminate();
    }
  }

  // ---- bulk ---------------------------------------------------------------------------------

  /**
   * Applies {@code fn} to every input and returns the results in input order: Python's {@code
   * Pool.map}. Inputs travel in chunks chosen by the server: the first {@code map} of a function
   * sends eight chunks per worker; later ones size chunks by the time per input the function took
   * last time, between eight and two chunks per worker as give about a millisecond of work each, or
   * one chunk per worker when each worker's share is less than a millisecond. So tasks of a few
   * microseconds do not drown in the cost of sending chunks to worker processes, and long tasks
   * still balance. Up to four inputs per worker go one per job.
   *
   * @throws CompletionException with the first failed task's exception (in input order) as its
   *     cause; the remaining jobs are cancelled. An interrupt while waiting cancels the jobs and
   *     throws a {@code CompletionException} caused by {@link InterruptedException}.
   */
  public <A, R> List<R> map(Task.Fn<? super A, ? extends R> fn, Iterable<? extends A> inputs) {
    return map(fn, inputs, 0);
  }

  /**
   * As {@link #map(Task.Fn, Iterable)}, with {@code chunkSize} inputs per job ({@code 0}: the
   * server chooses, see {@link #map(Task.Fn, Iterable)}).
   */
  public <A, R> List<R> map(
      Task.Fn<? super A, ? extends R> fn, Iterable<? extends A> inputs, int chunkSize) {
    return map(fn, inputs, chunkSize, null);
  }

  /**
   * As {@link #map(Task.Fn, Iterable)}, telling {@code listener} how far it has come as its jobs
   * end (tqdm over {@code Pool.map}): counts are of inputs, and the last report, once it has ended,
   * has {@link Progress#finished()} set.
   */
  public <A, R> List<R> map(
      Task.Fn<? super A, ? extends R> fn, Iterable<? extends A> inputs, ProgressListener listener) {
    return map(fn, inputs, 0, Objects.requireNonNull(listener, "listener"));
  }

  /**
   * As {@link #map(Task.Fn, Iterable, int)}, telling {@code listener} (or none, if null) how far it
   * has come, as {@link #map(Task.Fn, Iterable, ProgressListener)} does.
   */
  public <A, R> List<R> map(
      Task.Fn<? super A, ? extends R> fn,
      Iterable<? extends A> inputs,
      int chunkSize,
      ProgressListener listener) {
    Objects.requireNonNull(fn, "fn");
    Objects.requireNonNull(inputs, "inputs");
    checkNotNegative("chunkSize", chunkSize);
    return Chunking.map(this, fn, inputs, chunkSize, listener);
  }

  /**
   * Applies {@code fn} to the inputs and returns a lazy stream of the results in completion order:
   * Python's {@code imap_unordered}. Inputs are pulled, on the consuming thread, only as results
   * are consumed, so no more than a few jobs per worker are in flight and an endless input runs in
   * bounded memory. Close the stream to cancel the jobs still in flight.
   *
   * <p>A failed task makes the stream throw a {@link CompletionException} with its exception as the
   * cause when its result would be returned; the jobs in flight are then cancelled.
   */
  public <A, R> Stream<R> mapUnordered(
      Task.Fn<? super A, ? extends R> fn, Iterable<? extends A> inputs) {
    return mapUnordered(fn, inputs, 1, 0);
  }

  /** As {@link #mapUnordered(Task.Fn, Iterable)}, over a stream that is closed with the result. */
  public <A, R> Stream<R> mapUnordered(
      Task.Fn<? super A, ? extends R> fn, Stream<? extends A> inputs) {
    return mapUnordered(fn, inputs, 1, 0);
  }

  /**
   * As {@link #mapUnordered(Task.Fn, Iterable)}, with {@code chunkSize} inputs per job and at most
   * {@code maxInFlight} jobs submitted and not yet consumed ({@code 0}: four per worker, at most
   * 1024).
   */
  public <A, R> Stream<R> mapUnordered(
      Task.Fn<? super A, ? extends R> fn,
      Iterable<? extends A> inputs,
      int chunkSize,
      int maxInFlight) {
    return mapUnordered(fn, inputs, chunkSize, maxInFlight, null);
  }

  /**
   * As {@link #mapUnordered(Task.Fn, Iterable, int, int)}, telling {@code listener} (or none, if
   * null) how far it has come as its jobs end: counts are of inputs; the total is known at once for
   * a collection, and otherwise once the inputs are exhausted; the last report comes when the
   * stream is exhausted or closed.
   */
  public <A, R> Stream<R> mapUnordered(
      Task.Fn<? super A, ? extends R> fn,
      Iterable<? extends A> inputs,
      int chunkSize,
      int maxInFlight,
      ProgressListener listener) {
    Objects.requireNonNull(inputs, "inputs");
    long total = inputs instanceof Collection<?> c ? c.size() : -1;
    return unordered(fn, inputs.iterator(), total, chunkSize, maxInFlight, () -> {}, listener);
  }

  /** As {@link #mapUnordered(Task.Fn, Iterable, int, int)}, over a stream. */
  public <A, R> Stream<R> mapUnordered(
      Task.Fn<? super A, ? extends R> fn,
      Stream<? extends A> inputs,
      int chunkSize,
      int maxInFlight) {
    return mapUnordered(fn, inputs, chunkSize, maxInFlight, null);
  }

  /** As {@link #mapUnordered(Task.Fn, Iterable, int, int, ProgressListener)}, over a stream. */
  public <A, R> Stream<R> mapUnordered(
      Task.Fn<? super A, ? extends R> fn,
      Stream<? extends A> inputs,
      int chunkSize,
      int maxInFlight,
      ProgressListener listener) {
    Objects.requireNonNull(inputs, "inputs");
    return unordered(fn, inputs.iterator(), -1, chunkSize, maxInFlight, inputs::close, listener);
  }

  private <A, R> Stream<R> unordered(
      Task.Fn<? super A, ? extends R> fn,
      Iterator<? extends A> inputs,
      long total,
      int chunkSize,
      int maxInFlight,
      Runnable onClose,
      ProgressListener listener) {
    Objects.requireNonNull(fn, "fn");
    checkPositive("chunkSize", chunkSize);
    checkNotNegative("maxInFlight", maxInFlight);
    int inFlight = maxInFlight > 0 ? maxInFlight : defaultInFlight();
    Tracker tracker = Tracker.of(this, "mapUnordered", fn, total, listener);
    return new UnorderedMapping<A, R>(this, fn, inputs, chunkSize, inFlight, onClose, tracker)
        .stream();
  }

  /** Runs every task and returns their jobs once all are done, in the tasks' order. */
  @Override
  public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks)
      throws InterruptedException {
    return Invocations.invokeAll(this, tasks);
  }

  /** As {@link #invokeAll(Collection)}; jobs not done by the timeout are cancelled. */
  @Override
  public <T> List<Future<T>> invokeAll(
      Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException {
    return Invocations.invokeAll(this, tasks, timeout, unit);
  }

  /** Returns the result of a task that succeeded, cancelling the others. */
  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks)
      throws InterruptedException, ExecutionException {
    try {
      return invokeAny(tasks, Long.MAX_VALUE, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no timeout was set", e);
    }
  }

  /** As {@link #invokeAny(Collection)}, within a time limit. */
  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    return Invocations.invokeAny(this, tasks, timeout, unit);
  }

  // ---- waiting on several jobs ----------------------------------------------------------------

  /** Waits, with no time limit, until {@code mode} is met: Python's {@code wait}. */
  public static <J extends CompletableFuture<?>> WaitResult<J> waitFor(
      Collection<J> jobs, WaitMode mode) {
    return waitFor(jobs, mode, null);
  }

  /**
   * Waits until {@code mode} is met or {@code timeout} passes ({@code null}: no limit), then
   * reports which jobs are done. An interrupt ends the wait early, with the interrupt status set.
   */
  public static <J extends CompletableFuture<?>> WaitResult<J> waitFor(
      Collection<J> jobs, WaitMode mode, Duration timeout) {
    return Invocations.waitFor(jobs, mode, timeout);
  }

  /**
   * The jobs in the order they complete, as a lazy stream: Python's {@code as_completed}. The
   * stream blocks for the next job; an interrupt makes it throw a {@link CompletionException}
   * caused by {@link InterruptedException}.
   */
  public static <J extends CompletableFuture<?>> Stream<J> asCompleted(Collection<J> jobs) {
    return asCompleted(jobs, null);
  }

  /**
   * As {@link #asCompleted(Collection)}; when {@code timeout} (from this call) passes with jobs
   * left, the stream throws a {@link CompletionException} caused by {@link TimeoutException}.
   */
  public static <J extends CompletableFuture<?>> Stream<J> asCompleted(
      Collection<J> jobs, Duration timeout) {
    Objects.requireNonNull(jobs, "jobs");
    return new CompletionOrder<>(jobs, timeout).stream();
  }

  // ---- workers and stats ----------------------------------------------------------------------

  /**
   * Changes the number of local workers at run time: Parallel Python's {@code set_ncpus}. Growing
   * starts workers for queued jobs at once; shrinking lets running jobs finish.
   *
   * @throws IllegalStateException on a server made by {@link #virtualThreads()}, which has no limit
   *     to change (use {@code builder().virtualThreads(n)} for one that does)
   */
  public void setWorkers(int workers) {
    checkPositive("workers", workers);
    Lane[] now = lanes;
    Lane target = engine != null && List.of(now).contains(engine) ? engine : null;
    if (target == null && engine == null && now.length > 0) {
      target = now[0]; // a server built of backends alone: its first
    }
    if (target == null) {
      throw new IllegalStateException(
          snapshot("setWorkers: no local engine (its backends: " + backendNames() + ")"));
    }
    target.backend().setWorkers(workers);
  }

  /** The number of workers over all backends ({@link Integer#MAX_VALUE} for no limit). */
  public int workers() {
    long n = 0;
    for (Lane lane : lanes) {
      n += lane.backend().workers();
    }
    return (int) Math.min(Integer.MAX_VALUE, n);
  }

  /** A snapshot of the jobs run so far, per backend: Parallel Python's {@code print_stats}. */
  public Stats stats() {
    long total = 0;
    for (Lane lane : everyLane) {
      total += lane.jobs();
    }
    List<Stats.Backend> rows = new ArrayList<>(everyLane.size());
    for (Lane lane : everyLane) {
      long jobs = lane.jobs();
      List<Stats.Worker> perWorker = new ArrayList<>();
      for (var e : lane.tallies().entrySet()) {
        long n = e.getValue().jobs.sum();
        perWorker.add(
            new Stats.Worker(
                e.getKey(),
                n,
                total == 0 ? 0 : 100.0 * n / total,
                Duration.ofNanos(e.getValue().nanos.sum())));
      }
      rows.add(
          new Stats.Backend(
              lane.backendName(),
              List.of(lanes).contains(lane) ? lane.backend().workers() : 0,
              jobs,
              total == 0 ? 0 : 100.0 * jobs / total,
              Duration.ofNanos(lane.nanos()),
              perWorker,
              List.of(lanes).contains(lane) ? lane.backend().status() : null,
              List.of(lanes).contains(lane) ? lane.backend().busy() : 0));
    }
    return new Stats(
        name,
        Duration.ofNanos(ticker.read() - startedAt),
        workers(),
        active(),
        queue.size(),
        completed(),
        rows,
        counters.snapshot(ids.get(), dropped.sum()));
  }

  @Override
  public String toString() {
    return snapshot(runStateName());
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  @Override
  public void shutdown() {
    advanceTo(SHUTDOWN);
  }

  /**
   * Stops accepting jobs, cancels the queued ones and interrupts the running ones.
   *
   * @return the queued tasks that never started, each runnable in the caller's thread
   */
  @Override
  public List<Runnable> shutdownNow() {
    advanceTo(STOP);
    List<Work> drained = new ArrayList<>();
    queue.drainTo(drained);
    List<Runnable> neverRun = new ArrayList<>(drained.size());
    for (Work w : drained) {
      w.job.cancel(false);
      neverRun.add(w.asRunnable());
      dropped();
    }
    for (Lane lane : lanes) {
      lane.backend().cancelRunning();
    }
    for (int i = 0; i < drained.size(); i++) {
      retire();
    }
    return neverRun;
  }

  private void advanceTo(int state) {
    synchronized (this) {
      if (runState < state) {
        runState = state;
      }
    }
    checkTermination();
  }

  private void tryTerminate() {
    if (!terminating.compareAndSet(0, 1)) {
      return;
    }
    List<Lane> all;
    synchronized (this) { // no backend is added from here on: addBackend checks the run state
      all = List.copyOf(everyLane); // removed ones too: they may still be stopping
    }
    CompletableFuture<?>[] stopped = new CompletableFuture<?>[all.size()];
    for (int i = 0; i < stopped.length; i++) {
      stopped[i] = all.get(i).stop();
    }
    CompletableFuture.allOf(stopped)
        .whenComplete(
            (done, error) -> {
              runState = TERMINATED;
              javax.management.ObjectName m = mbean;
              if (m != null) {
                Management.unregister(m);
              }
              Dashboard d = dashboard;
              if (d != null) {
                d.close();
              }
              threads.stop();
              terminated.countDown();
            });
  }

  @Override
  public boolean isShutdown() {
    return runState != RUNNING;
  }

  @Override
  public boolean isTerminated() {
    return runState == TERMINATED;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return terminated.await(timeout, unit);
  }

  /**
   * Stops accepting jobs and waits until the accepted ones have ended and every worker has gone. If
   * interrupted while waiting, it falls back to {@link #shutdownNow()}, waits again, and returns
   * with the interrupt status set.
   */
  @Override
  public void close() {
    shutdown();
    boolean interrupted = false;
    while (true) {
      try {
        terminated.await();
        break;
      } catch (InterruptedException e) {
        if (!interrupted) {
          shutdownNow();
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  Ticker ticker() {
    return ticker;
  }

  java.util.concurrent.BlockingQueue<Work> queue() {
    return queue;
  }

  /** The executor for callbacks and async stages; created on first use. */
  Executor callbackExecutor() {
    return threads.callbacks();
  }

  /** The server's state in the one format used by errors, logs and {@code toString()}. */
  String snapshot(String what) {
    return String.format(
        "%s: %s (workers=%s, active=%d, queued=%d, completed=%d)",
        name, what, Stats.workers(workers()), active(), queue.size(), completed());
  }

  /**
   * Where this server's dashboard serves its page, if it was built with one ({@link
   * JobServerBuilder#dashboard(int)}): a loopback address unless bound elsewhere; open it in a
   * browser (with {@code ?token=TOKEN} where a token guards it). Empty once the server has
   * terminated.
   */
  public java.util.Optional<java.net.URI> dashboard() {
    Dashboard d = dashboard;
    return d == null || runState == TERMINATED
        ? java.util.Optional.empty()
        : java.util.Optional.of(d.uri());
  }

  /** Starts the dashboard ({@link JobServerBuilder#dashboard(int)}). */
  void startDashboard(Dashboard.Settings settings) {
    dashboard = Dashboard.start(new Observed(this), recorder, settings);
  }

  Counters counters() {
    return counters;
  }

  /** The dashboard's recorder, or null without a dashboard. */
  Recorder recorder() {
    return recorder;
  }

  /** The server's clock now. */
  long now() {
    return ticker.read();
  }

  long startedAt() {
    return startedAt;
  }

  /** Every backend ever added, removed ones too, in the order added. */
  List<Lane> allLanes() {
    return List.copyOf(everyLane);
  }

  /** The backends taking work now. */
  List<Lane> fedLanes() {
    return List.of(lanes);
  }

  /** Registers this server's MBean ({@link JobServerBuilder#jmx()}). */
  void registerMBean() {
    mbean = Management.register(this);
  }

  String runStateName() {
    return switch (runState) {
      case RUNNING -> "running";
      case SHUTDOWN -> "shutting down";
      case STOP -> "stopping";
      default -> "terminated";
    };
  }

  int defaultInFlight() {
    return (int) Math.max(2, Math.min(4L * workers(), 1024));
  }

  /** Waits for {@code job} and returns its result; see {@link #map} for the exceptions. */
  static <T> T awaitResult(CompletableFuture<T> job) {
    try {
      return job.get();
    } catch (ExecutionException e) {
      throw new CompletionException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }

  static void checkPositive(String what, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(what + ": " + value + " (expected: > 0)");
    }
  }

  private static void checkNotNegative(String what, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          what + ": " + value + " (expected: >= 0, where 0 lets the server choose)");
    }
  }
}
