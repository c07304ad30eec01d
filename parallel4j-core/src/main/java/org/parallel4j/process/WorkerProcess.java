package org.parallel4j.process;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.parallel4j.codec.Shipment;
import org.parallel4j.spi.JobControl;
import org.parallel4j.spi.PayloadTooLargeException;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkerHandle;
import org.parallel4j.spi.WorkerLoss;
import org.parallel4j.wire.Frames;
import org.parallel4j.wire.Ring;

/**
 * One worker process of a {@link ProcessBackend} and the threads that serve it; also how the server
 * reaches its jobs ({@link JobControl}). See {@link ProcessBackend} for the channel, the window and
 * failure; this class is where they happen for one worker.
 *
 * <h2>Threads</h2>
 *
 * <ul>
 *   <li>{@code -stdout}: reads the worker's standard output, which carries both what its tasks
 *       print (to {@link WorkerOutput}) and its rings, and serves the ring when rung.
 *   <li>{@code -watcher}: reports the worker's end; reads outcomes nobody else reads.
 *   <li>{@code -dispatcher}: feeds the worker when it is idle and jobs are queued.
 *   <li>{@code -stderr} and {@code -printer}: its {@link WorkerOutput}.
 * </ul>
 *
 * A thread waiting in {@code get} for one of this worker's jobs may read outcomes itself ({@link
 * #help}); whoever reads holds {@link #role}, and whoever writes holds {@link #sending}.
 *
 * <h2>Lifecycle</h2>
 *
 * Started and greeted ({@link #awaitGreeting}), then serving ({@link #start}); retiring once asked
 * to finish what it holds ({@link #retire}: no job is sent after its SHUTDOWN frame); dead once its
 * standard output has ended or its process has exited ({@link #died}: the server is told it is
 * lost, with the jobs it held).
 */
final class WorkerProcess implements JobControl {
  static final int MAX_WINDOW = 64;
  private static final long QUEUED_WORK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  static final long CONNECT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final long WAKE_MILLIS = 50;
  private static final long CANCEL_GRACE_MILLIS = 1000;
  // how long a waiting thread tries for the channel while the reader thread reads it
  private static final long HANDOVER_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
  private static final int IDLE = 0;
  private static final int UNREAD = 1;

  private final ProcessBackend pool;
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
  final Shipment.Function[] inSlot = new Shipment.Function[ProcessBackend.FUNCTION_SLOTS];
  int nextSlot;
  long sent;
  // STARTING until greeted (and initialized); SERVING: its rings are served and it takes jobs;
  // RETIRING: it finishes what it holds and takes no more; DEAD: gone, reported lost. It only
  // moves forward (advance), and only died() moves it to DEAD.
  static final int STARTING = 0;
  static final int SERVING = 1;
  static final int RETIRING = 2;
  static final int DEAD = 3;
  private final AtomicInteger state = new AtomicInteger(STARTING);
  Thread dispatcher;
  Thread stdoutPump;
  private volatile boolean served; // set once, when it is ready and takes work
  final WorkerOutput output; // its standard error, what its tasks print, its last lines
  // cancel and skip frames waiting for whoever holds sending: a cancel with interruption never
  // waits for the lock, as its holder may be waiting for that very cancel to finish (Job.hold,
  // Job.finishRunning spin while the job's state is INTERRUPTING)
  final ConcurrentLinkedQueue<long[]> controls = new ConcurrentLinkedQueue<>();
  boolean shutdownSent; // guarded by sending: no job is sent after the SHUTDOWN frame

  /** Moves the lifecycle forward to {@code to}; false if it was there or past it already. */
  private boolean advance(int to) {
    int s;
    while ((s = state.get()) < to) {
      if (state.compareAndSet(s, to)) {
        return true;
      }
    }
    return false;
  }

  /** Its state in a word, for the dashboard. */
  String stateName() {
    return switch (state.get()) {
      case STARTING -> "starting";
      case SERVING -> count.get() > 0 ? "busy" : "idle";
      case RETIRING -> "retiring";
      default -> "dead";
    };
  }

  /** Whether it takes jobs: serving, not retiring or dead. */
  private boolean takesJobs() {
    return state.get() == SERVING;
  }

  /** Whether it is retiring or dead: it takes no more jobs. */
  boolean isRetiring() {
    return state.get() >= RETIRING;
  }

  private boolean isDead() {
    return state.get() == DEAD;
  }

  /**
   * Asks the worker to skip {@code item} if it has not started it, and with {@code interrupt} to
   * interrupt it if it has; if it is still running after the grace period, the worker is killed, as
   * only that stops it.
   */
  @Override
  public void cancel(WorkItem item, boolean interrupt) {
    controls.add(new long[] {interrupt ? Frames.CANCEL : Frames.SKIP, item.jobId()});
    if (!interrupt) {
      // a skip waits for the lock, so that it is in the ring when cancel(false) returns: no
      // holder of the lock waits for a skip (only an interrupt holds the job's state machine)
      sending.lock();
      unlockSending();
    } else if (lockForInterrupt()) { // else the holder writes it as it lets go
      unlockSending();
    }
    if (!interrupt) {
      return;
    }
    pool.context.schedule(
        () -> {
          if (inFlight.peek() == item && !isDead()) {
            process.destroyForcibly();
          }
        },
        TimeUnit.MILLISECONDS.toNanos(CANCEL_GRACE_MILLIS));
  }

  /**
   * Takes {@link #sending} for an interrupt, waiting a little for it: long enough that the cancel
   * is in the ring when {@code cancel(true)} returns whenever the holder is only sending (so that a
   * job cancelled while it waits in the worker does not start), not so long that a holder which
   * waits on the cancelled job's state machine, held by this interrupt, deadlocks with it: then the
   * holder writes the cancel as it lets go.
   */
  private boolean lockForInterrupt() {
    try {
      return sending.tryLock(INTERRUPT_LOCK_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return sending.tryLock();
    }
  }

  private static final long INTERRUPT_LOCK_MILLIS = 20;

  /**
   * Lets go of {@link #sending}, first writing the cancel frames that wait; takes it again if more
   * came as it let go, so none is left behind.
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

  WorkerProcess(
      ProcessBackend pool,
      String name,
      Process process,
      java.nio.MappedByteBuffer rings,
      Path recordTo) {
    this.pool = pool;
    this.name = name;
    this.handle = pool.context.worker(name);
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
            .name(pool.serverName + "-" + name + "-watcher")
            .unstarted(this::watch);
    // output flows from the start: a worker that cannot start says why on standard error
    String prefix = "[" + label + "] ";
    output =
        new WorkerOutput(
            pool.serverName + "-" + name,
            prefix,
            line -> recordTo != null && WorkerCache.isRecordingChatter(line));
    stdoutPump = pumpStdout();
    output.pumpStderr(process.getErrorStream());
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
      if (pool.stopping) {
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
    if (pool.stopping) {
      return false;
    }
    if (!fromWorker.ready()) {
      throw new IOException(name + " ended before it was ready" + lastWords());
    }
    Frames.Frame hello = Frames.read(in, pool.maxFrame);
    if (hello.type() != Frames.HELLO || hello.id() != pid) {
      throw new IOException(name + " sent a bad greeting: type " + hello.type());
    }
    if (pool.initializer != null) {
      initialize();
    }
    return true;
  }

  /** What a worker that failed to start said, once it has exited. */
  private String lastWords() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(5, TimeUnit.SECONDS);
    // the pumps read what is left of a dead worker's streams: short, unless the machine is loaded
    output.awaitStderr(TimeUnit.SECONDS.toMillis(10));
    stdoutPump.join(TimeUnit.SECONDS.toMillis(10)); // the JVM's own start-up errors go there
    String exit = process.isAlive() ? "" : " (exit code " + process.exitValue() + ")";
    List<String> lines = output.lastLines();
    return exit + (lines.isEmpty() ? "" : ": " + String.join("\n", lines));
  }

  /** Runs the initializer as the worker's job 0 and waits for it, before any task is sent. */
  private void initialize() throws IOException {
    Frames.writeInlineTask(out, 0, false, pool.initializer, pool.codec.encode(null));
    out.flush();
    Frames.Frame reply = Frames.read(in, pool.maxFrame);
    if (reply.type() == Frames.RESULT && reply.id() == 0) {
      return;
    }
    if (reply.type() != Frames.FAILURE || reply.id() != 0) {
      throw new IOException(
          name + " answered its initializer with a frame of type " + reply.type());
    }
    Object error = pool.codec.decode(reply.payload(), 8, reply.payload().length - 8);
    throw new IOException(
        name + " (pid " + pid + "): the initializer failed: " + error,
        error instanceof Throwable t ? t : null);
  }

  void start() {
    served = true;
    advance(SERVING);
    watcher.start();
    signal(); // a first look: rings that came before serving began were not served
    dispatcher =
        Thread.ofPlatform()
            .daemon(true)
            .name(pool.serverName + "-" + name + "-dispatcher")
            .start(this::dispatch);
  }

  /**
   * Reads the worker's standard output: forwards what its tasks print line by line, and serves the
   * ring when the worker rings ({@link Stdout}). The end of the stream is the end of the worker (or
   * of its standard output, which it needs).
   */
  private Thread pumpStdout() {
    return Thread.ofPlatform()
        .daemon(true)
        .name(pool.serverName + "-" + name + "-stdout")
        .start(
            () -> {
              Stdout.Decoder decoder = new Stdout.Decoder(this::printed);
              byte[] chunk = new byte[8192];
              try (InputStream stream = process.getInputStream()) {
                for (int n = stream.read(chunk); n >= 0; n = stream.read(chunk)) {
                  int rings;
                  try {
                    rings = decoder.feed(chunk, n);
                  } catch (RuntimeException e) { // a line that could not be shown: the rest can
                    System.err.println("[" + label + "] output lost: " + e);
                    rings = 0;
                  }
                  if (rings > 0) {
                    rung();
                  }
                }
              } catch (IOException e) {
                // the process is gone
              }
              decoder.finish();
              output.endOfOutput();
              ended = true;
              greeted.countDown();
              signal();
            });
  }

  /** A line the worker's tasks printed: shown, and kept while it may say why the worker died. */
  private void printed(String line) {
    // before it is ready, anything it says may be why it never got there; "served" rather than the
    // state, which turns DEAD as the JVM exits, while the rest of its last words are still read
    if (!served || ProcessBackend.isJvmDeathNotice(line)) {
      output.remember(line);
    }
    output.print(line);
  }

  /** The worker rang: outcomes wait in the ring. Before it is served, the ring is its greeting. */
  private void rung() {
    if (state.get() == STARTING) {
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
   * queued ({@link ProcessBackend#workAvailable} wakes it). While a worker has jobs in flight its
   * reader tops it up as results come ({@link #topUp}), so in a stream of jobs no thread is woken
   * to dispatch, and a job is never sent past the window to a worker that only looked idle.
   */
  private void dispatch() {
    while (takesJobs()) {
      if (count.get() == 0) {
        WorkItem item = pool.source.poll();
        if (item != null) {
          sendBatch(item);
          continue;
        }
      }
      idleWanted = true;
      if (count.get() != 0 || pool.source.isEmpty()) {
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
        if (!takesJobs() || count.get() >= window) {
          break;
        }
        item = pool.source.poll();
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
    if (takesJobs() && count.get() <= window / 2 && !pool.source.isEmpty()) {
      WorkItem item = pool.source.poll();
      if (item != null) {
        sendBatch(item);
      }
    }
    wake();
  }

  /**
   * Sends {@code item} at once if this worker is idle and nothing is queued: a job submitted to an
   * idle pool starts without waking a dispatcher.
   */
  boolean offer(WorkItem item) {
    if (count.get() != 0 || !takesJobs() || !sending.tryLock()) {
      return false;
    }
    try {
      if (count.get() != 0 || !takesJobs()) {
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
      shipment = (Shipment) item.prepared(pool); // encoded at submit, or now
    } catch (RuntimeException e) {
      item.fail(e); // taken from a server whose first backend runs it in place: not here
      return;
    }
    long size = shipment.size();
    if (size > pool.options.maxPayload()) { // fails this job alone, before the worker sees it
      item.fail(
          new PayloadTooLargeException(
              "the task of job " + item.jobId(), size, pool.options.maxPayload()));
      return;
    }
    if (!item.assign(handle, this)) {
      return; // cancelled while queued, or this worker was just lost
    }
    item.awaitedWith(helper);
    boolean alone = count.get() == 0 && pool.source.isEmpty() && othersIdle();
    synchronized (this) {
      if (isDead()) {
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
        nextSlot = (nextSlot + 1) % ProcessBackend.FUNCTION_SLOTS;
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
    if (++sent == pool.options.maxTasksPerWorker()) {
      advance(RETIRING); // recycled: it finishes what it holds, and a fresh worker takes over
      pool.maybeStartWorker();
    }
  }

  /** Whether no other worker holds a job: with nothing queued, the server holds no other. */
  private boolean othersIdle() {
    for (WorkerProcess w : pool.live) {
      if (w != this && w.count.get() != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Keeps about {@link #QUEUED_WORK_NANOS} of work in flight, by recent run times, and at least two
   * jobs: the next job is then in the worker's memory as it finishes one, so it does not wait for
   * this JVM to read the result and send another (two wake-ups of a sleeping thread, 0.5-0.7 ms a
   * job here; docs/benchmarks.md, "Worker processes on CPU-bound jobs").
   */
  private void ran(long runNanos) {
    double mean = meanRunNanos < 0 ? runNanos : 0.8 * meanRunNanos + 0.2 * runNanos;
    meanRunNanos = mean;
    window = (int) Math.min(MAX_WINDOW, Math.max(2, 1 + QUEUED_WORK_NANOS / Math.max(1.0, mean)));
  }

  /**
   * The watcher thread: waits to be signalled (the worker is gone, its channel broke, a thread that
   * read outcomes left some unread); when the worker is gone, reads what it published before it
   * went, then reports it dead. Outcomes that the worker rings for are read by the thread that
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
    if (ended || broken != null || isDead()) {
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
   * finds it asleep costs the worker one ring. A thread waiting for a result stays awake only when
   * its job is the worker's only one and this worker's jobs are short, as in one submit and get
   * after another; in a stream it reads what is there and sleeps.
   */
  private long spinNanos(boolean helping) {
    return helping && count.get() <= 1 && meanRunNanos < Ring.SPIN_NANOS ? Ring.SPIN_NANOS : 0;
  }

  /** Reads one outcome and ends its job. */
  private void consumeOne() throws IOException {
    Frames.Frame frame = Frames.read(in, pool.maxFrame);
    if (frame.type() != Frames.RESULT && frame.type() != Frames.FAILURE) {
      throw new IOException(name + " sent a frame of type " + frame.type());
    }
    byte[] payload = frame.payload();
    if (payload != null && payload.length < 8) { // checked before the job leaves inFlight
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
    long now = pool.context.now(); // this one's end, and the start of the next
    synchronized (this) {
      inFlight.poll();
      count.decrementAndGet();
      WorkItem next = inFlight.peek();
      if (next != null) {
        next.started(now); // the worker runs its jobs in order: the next starts now
      }
    }
    if (frame.tooLarge()) { // within the bound, not within this heap: the job fails, alone
      item.fail(
          new PayloadTooLargeException(
              (frame.type() == Frames.RESULT ? "the result of job " : "the failure of job ")
                  + frame.id(),
              frame.skipped(),
              -1),
          now);
      if (isRetiring() && inFlight.isEmpty()) {
        stop();
      }
      return;
    }
    ran(java.nio.ByteBuffer.wrap(payload).getLong());
    switch (frame.type()) {
      case Frames.RESULT -> {
        Object result = null;
        IOException undecodable = null;
        try {
          result = pool.codec.decode(payload, 8, payload.length - 8);
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
          error = (Throwable) pool.codec.decode(payload, 8, payload.length - 8);
        } catch (IOException | ClassCastException e) {
          error = e;
        }
        item.fail(error, now);
      }
      default -> throw new AssertionError("checked above: " + frame.type());
    }
    if (isRetiring() && inFlight.isEmpty()) {
      stop();
    }
  }

  /** Asks the worker to finish what it has and exit. */
  void retire() {
    advance(RETIRING);
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
    if (!advance(DEAD)) {
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
      stdoutPump.join(TimeUnit.SECONDS.toMillis(2));
      output.awaitEnd(TimeUnit.SECONDS.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<String> errors = output.lastLines();
    if (recordTo != null) {
      pool.cache.install(recordTo);
      pool.recording.set(false);
    }
    count.set(0);
    inFlight.clear();
    // the server holds the leases: the one running counts an attempt, those behind it do not
    handle.lost(new WorkerLoss(exit, pid, errors));
    pool.live.remove(this);
    pool.maybeStartWorker(); // replaces a crash, or a retirement too many
    pool.checkTerminated();
  }
}
