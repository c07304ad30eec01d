package org.parallel4j.process;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Serial;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.parallel4j.codec.KryoCodec;
import org.parallel4j.codec.LambdaShape;
import org.parallel4j.spi.Codec;
import org.parallel4j.spi.PayloadTooLargeException;
import org.parallel4j.spi.TaskBody;
import org.parallel4j.wire.Frames;
import org.parallel4j.wire.Ring;

/**
 * The main class of a worker process: runs the tasks its job server sends, one after another, and
 * sends back each result or exception. Frames travel through two {@link Ring}s in memory the server
 * created; the worker's standard streams carry the rings that wake a sleeping side ({@link
 * Stdout}): the server's come on standard input, and the worker's go out on standard output among
 * what its tasks print. The worker needs no socket, and a fresh JVM's first socket is costly. When
 * the server goes away (standard input ends, even because the server was killed) the worker halts
 * at once, so it never outlives its server.
 *
 * <p>Two threads take turns reading frames and running tasks: the reader that receives a task while
 * none runs reads on while frames wait, then becomes the runner and leaves the ring to the other
 * thread (so a cancel is read while a task runs, and a task starts on the thread that read it,
 * without waking another); tasks run one at a time in the order they came. A reader with nothing to
 * read may stay awake for {@link Ring#SPIN_NANOS}, then sleeps until the server rings ({@link
 * Sleepers}).
 *
 * <p>Arguments: the worker's name, the largest frame accepted, the ring file, the server's pid, and
 * the codec's class.
 */
public final class WorkerMain {
  // the channel to the server, which frames are written to under its lock; package-private for
  // the tests of the server's defences, which write bad frames from a task
  static volatile DataOutputStream toServer;

  /** The job the task thread runs now, and the jobs cancelled before they started. */
  private static final Running CURRENT = new Running();

  private WorkerMain() {}

  /**
   * A task read from the server: its function (or why it could not be read), the values to make it
   * anew with (at {@code capturedAt}, {@code capturedLength} bytes; none when 0), and its argument.
   */
  private record Pending(
      long id, Object function, byte[] frame, int capturedAt, int capturedLength, int argumentAt) {}

  /** A function that could not be decoded: the tasks that use it fail with this. */
  private record Broken(IOException error) {}

  /** Entry point of a worker process. */
  public static void main(String[] args) throws Exception {
    String name = args[0];
    int maxFrame = Integer.parseInt(args[1]);
    Path ringFile = Path.of(args[2]);
    long server = Long.parseLong(args[3]);
    String codecClass = args.length > 4 ? args[4] : KryoCodec.class.getName();
    // standard output: what tasks print, escaped, and this worker's rings to the server
    Stdout.Encoder stdout = new Stdout.Encoder(new FileOutputStream(FileDescriptor.out));
    System.setOut(new PrintStream(stdout.text(), true, System.out.charset()));
    // standard input: the server's rings, which tasks must not read
    InputStream bells = new FileInputStream(FileDescriptor.in);
    System.setIn(InputStream.nullInputStream());
    // the JDK maps the rings with a reflective constructor call: side by side with the codec's
    // start, a worker is ready sooner
    FutureTask<MappedByteBuffer> mapping = new FutureTask<>(() -> Ring.open(ringFile));
    Thread.ofPlatform().name("parallel4j-map").start(mapping);
    Codec codec = newCodec(codecClass);
    MappedByteBuffer rings;
    try {
      rings = mapping.get();
    } catch (ExecutionException e) {
      throw new IOException("cannot map the rings of " + name, e.getCause());
    }
    BooleanSupplier serverAlive = // a worker whose server died has a new parent
        () -> ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == server;
    Ring.In in = Ring.of(rings, 0).new In(serverAlive);
    Output out = new Output(new DataOutputStream(Ring.of(rings, 1).new Out(stdout, serverAlive)));
    toServer = out.stream;
    Loop loop = new Loop(in, out, codec, maxFrame);
    Thread other = Thread.ofPlatform().name("parallel4j-worker-b").unstarted(loop::run);
    loop.sleepers = new Sleepers(bells, Thread.currentThread(), other);
    out.hello(); // through the ring: the server learns this worker is ready, and rings from now
    other.start();
    loop.run();
  }

  /**
   * Two threads take turns: one reads frames while the other may run tasks. The reader that
   * receives a task while none runs becomes the runner once no frame waits, and leaves reading to
   * the other thread, so a task starts without waking a thread, and a cancel is read while a task
   * runs.
   */
  private static final class Loop {
    private static final int SLEEP = 0; // nothing to read: sleep until rung
    private static final int RUN = 1; // run the tasks

    private final Ring.In ring;
    private final DataInputStream in;
    private final Output out;
    private final Codec codec;
    private final int maxFrame;
    private final ReentrantLock reading = new ReentrantLock();
    private final ArrayDeque<Pending> tasks = new ArrayDeque<>(); // guarded by itself
    private volatile boolean running; // written under tasks
    private volatile boolean alone; // the last task came alone (TASK_ALONE): written under tasks
    private boolean shutdown; // guarded by tasks
    private final Object[] functions = new Object[ProcessBackend.FUNCTION_SLOTS]; // by the reader
    volatile Sleepers sleepers; // set before the threads start

    Loop(Ring.In ring, Output out, Codec codec, int maxFrame) {
      this.ring = ring;
      this.in = new DataInputStream(ring);
      this.out = out;
      this.codec = codec;
      this.maxFrame = maxFrame;
    }

    void run() {
      while (true) {
        if (reading.tryLock()) {
          int next;
          try {
            next = readUntilTask();
          } finally {
            reading.unlock();
          }
          if (next == RUN) {
            // the ring is idle: a frame that comes now rings, and the other thread, woken here if
            // it sleeps parked, takes the rings over while this one runs the tasks
            sleepers.wakeUp();
            runTasks();
            continue;
          }
          // a frame published while this thread gave up reading may have rung while the role was
          // still held here, and the thread it woke went back to sleep: look once more
          if (ring.pending()) {
            continue;
          }
        }
        boolean serverThere;
        try {
          serverThere = sleepers.sleep();
        } catch (IOException e) {
          serverThere = false;
        }
        if (!serverThere) {
          Runtime.getRuntime().halt(0); // the server is gone: never outlive it
        }
      }
    }

    /**
     * Reads frames while they come; returns RUN when they brought a task while none ran (this
     * thread is the runner now), SLEEP when they did not. Either way the ring is left idle, so that
     * the next frame rings.
     */
    private int readUntilTask() {
      ring.active();
      boolean run = false; // a task came while none ran: read what waits, without spinning
      while (true) {
        if (!ring.ready() && (run || !ring.awaitReady(spinNanos())) && ring.idle()) {
          return run ? RUN : SLEEP;
        }
        if (handle(readOne())) {
          run = true;
        }
      }
    }

    /** Reads the next frame; bad input, or the server gone, ends the worker. */
    private Frames.Frame readOne() {
      try {
        Frames.Frame frame = Frames.read(in, maxFrame);
        checkShape(frame); // a frame too large for this heap ends the JVM (ExitOnOutOfMemoryError)
        return frame;
      } catch (EOFException e) {
        Runtime.getRuntime().halt(0); // the server is gone: never outlive it
      } catch (IOException e) {
        System.err.println("parallel4j worker: bad input from the server, exiting: " + e);
        Runtime.getRuntime().halt(2);
      }
      throw new AssertionError("halted");
    }

    /** Acts on one frame; true when it brought a task while none ran (the caller runs it). */
    private boolean handle(Frames.Frame frame) {
      switch (frame.type()) {
        case Frames.DEFINE -> functions[(int) frame.id()] = decodeFunction(codec, frame.payload());
        case Frames.TASK, Frames.TASK_ALONE -> {
          Pending p = pending(frame, functions, codec);
          synchronized (tasks) {
            alone = frame.type() == Frames.TASK_ALONE;
            tasks.add(p);
            if (!running) {
              running = true;
              return true;
            }
          }
        }
        case Frames.CANCEL, Frames.SKIP -> cancel(frame.id(), frame.type() == Frames.CANCEL);
        case Frames.SHUTDOWN -> {
          synchronized (tasks) {
            shutdown = true;
            if (!running) {
              exit();
            }
          }
        }
        default -> {
          System.err.println("parallel4j worker: unexpected frame type " + frame.type());
          Runtime.getRuntime().halt(2);
        }
      }
      return false;
    }

    /**
     * Before the next task starts, reads the frames already in the ring: a cancel or skip that the
     * server published while the last task ran is then seen, even when the reading thread, rung for
     * it, has not woken yet (without this, a job cancelled while it waited here could start).
     */
    private void catchUp() {
      if (!ring.pending()) {
        return;
      }
      reading.lock();
      try {
        while (ring.ready()) {
          handle(readOne());
        }
      } finally {
        reading.unlock();
      }
    }

    /**
     * How long to stay awake for the next frame: {@link Ring#SPIN_NANOS} while no task runs and the
     * last one came alone (the server held no other job), as when a caller submits one task after
     * another and waits for each; none while a task runs (a task that came now would wait anyway)
     * or after tasks of a stream (the server rings when it has more, and a spin would take a core
     * from the threads that submit them).
     */
    private long spinNanos() {
      return !running && alone ? Ring.SPIN_NANOS : 0;
    }

    /**
     * A cancel for job {@code id}: it runs now, waits here, or has ended (its cancel crossed its
     * outcome; frames come in order, so it cannot be yet to come). Only a waiting job is
     * remembered, so that what is remembered stays bounded by the jobs this worker holds.
     */
    private void cancel(long id, boolean interrupt) {
      synchronized (tasks) { // a job leaves the queue and starts under this lock: see runTasks
        boolean waiting = false;
        for (Pending p : tasks) {
          waiting |= p.id() == id;
        }
        CURRENT.cancel(id, interrupt, waiting);
      }
    }

    /** Runs queued tasks in order until none is left. */
    private void runTasks() {
      while (true) {
        catchUp();
        Pending p;
        boolean started;
        synchronized (tasks) {
          p = tasks.poll();
          if (p == null) {
            running = false;
            if (shutdown) {
              exit();
            }
            return;
          }
          started = CURRENT.start(p.id());
        }
        runOne(p, started, codec, out, maxFrame - 64);
      }
    }

    private void exit() {
      try {
        out.flush();
      } catch (IOException e) {
        // the server is gone anyway
      }
      if (Boolean.getBoolean(RECORDING_PROPERTY)) {
        exerciseCodec(codec);
      }
      Runtime.getRuntime().halt(0);
    }
  }

  /** The server's codec, made anew here: Kryo's, or a class with a public no-argument one. */
  static Codec newCodec(String className) throws IOException {
    if (className.equals(KryoCodec.class.getName())) {
      return new KryoCodec();
    }
    try {
      return (Codec) Class.forName(className).getConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IOException(
          "codec: "
              + className
              + " (expected: a Codec with a public no-argument constructor on"
              + " the workers' class path)",
          e);
    }
  }

  /** Set on the worker that records the start-up cache as it exits (see {@code WorkerCache}). */
  static final String RECORDING_PROPERTY = "parallel4j.recordingCache";

  /**
   * Runs what every worker runs on its first tasks (a lambda, a list, an exception through the
   * codec): here so that the start-up cache recorded at exit holds it, whichever tasks this worker
   * ran.
   */
  static void exerciseCodec(Codec codec) {
    try {
      int offset = 1;
      TaskBody fn = x -> (Integer) x + offset;
      TaskBody call = x -> "x";
      for (Object value :
          new Object[] {
            fn,
            call,
            new java.util.ArrayList<>(java.util.List.of(1, 2L, "three", 4.0)),
            new IllegalStateException("exercise"),
            new RemoteTaskException(new IllegalStateException("exercise"))
          }) {
        codec.decode(codec.encode(value));
      }
      TaskBody back = (TaskBody) codec.decode(codec.encode(fn));
      back.invoke(1);
      // a lambda made anew from its captured values (LambdaShape): method handles, spun once
      Object[] captured = (Object[]) codec.decode(codec.encode(new Object[] {2}));
      TaskBody made = (TaskBody) LambdaShape.maker(back).instantiate(captured);
      made.invoke(1);
    } catch (Exception e) {
      // a cache without these classes is still a cache
    }
  }

  private static Object decodeFunction(Codec codec, byte[] bytes) {
    try {
      return codec.decode(bytes);
    } catch (IOException e) {
      return new Broken(
          new IOException("the task cannot be read in the worker: " + e.getMessage(), e));
    }
  }

  /**
   * Refuses a frame whose fields do not fit the protocol (a slot out of range, a length past the
   * payload), so that bad input closes the worker instead of failing a reading thread.
   */
  static void checkShape(Frames.Frame frame) throws IOException {
    byte[] p = frame.payload();
    boolean ok =
        switch (frame.type()) {
          case Frames.DEFINE -> frame.id() >= 0 && frame.id() < ProcessBackend.FUNCTION_SLOTS;
          case Frames.TASK, Frames.TASK_ALONE -> {
            if (p.length < 4) {
              yield false;
            }
            int slot = ByteBuffer.wrap(p).getInt();
            if (slot != Frames.INLINE) {
              yield slot >= 0
                  && slot < ProcessBackend.FUNCTION_SLOTS
                  && p.length >= 8
                  && ByteBuffer.wrap(p).getInt(4) >= 0
                  && ByteBuffer.wrap(p).getInt(4) <= p.length - 8;
            }
            yield p.length >= 8
                && ByteBuffer.wrap(p).getInt(4) >= 0
                && ByteBuffer.wrap(p).getInt(4) <= p.length - 8;
          }
          default -> true;
        };
    if (!ok) {
      throw new IOException("malformed frame of type " + frame.type() + " for id " + frame.id());
    }
  }

  private static Pending pending(Frames.Frame frame, Object[] functions, Codec codec) {
    ByteBuffer b = ByteBuffer.wrap(frame.payload());
    int slot = b.getInt();
    if (slot != Frames.INLINE) {
      int captured = b.getInt();
      return new Pending(frame.id(), functions[slot], frame.payload(), 8, captured, 8 + captured);
    }
    int n = b.getInt();
    Object function;
    try {
      function = codec.decode(frame.payload(), 8, n);
    } catch (IOException e) {
      function =
          new Broken(
              new IOException("the task cannot be read in the worker: " + e.getMessage(), e));
    }
    return new Pending(frame.id(), function, frame.payload(), 0, 0, 8 + n);
  }

  /**
   * Runs one task and sends its outcome. A result larger than {@code maxPayload} encoded fails the
   * job with {@link PayloadTooLargeException}: the worker stays. (One that this heap cannot encode
   * ends the worker: it runs with ExitOnOutOfMemoryError, and the job counts a crash.)
   */
  private static void runOne(Pending p, boolean started, Codec codec, Output out, long maxPayload) {
    long t0 = System.nanoTime();
    if (!started) { // cancelled while queued here: answer, in order
      CancellationException cancelled =
          new CancellationException("job " + p.id() + " was cancelled before it started");
      out.send(Frames.FAILURE, p.id(), 0, encodeFailure(codec, cancelled));
      return;
    }
    byte type;
    byte[] payload;
    try {
      Object result = invoke(p, codec);
      try {
        payload = codec.encode(result);
        type = Frames.RESULT;
        if (payload.length > maxPayload) {
          int size = payload.length;
          payload = null; // before the failure is encoded: the heap may need the room
          payload =
              encodeFailure(
                  codec,
                  new PayloadTooLargeException("the result of job " + p.id(), size, maxPayload));
          type = Frames.FAILURE;
        }
      } catch (IOException e) {
        payload =
            encodeFailure(
                codec,
                new IOException(
                    "the result of job " + p.id() + " cannot be sent back: " + e.getMessage(), e));
        type = Frames.FAILURE;
      }
    } catch (Throwable t) {
      payload = encodeFailure(codec, t);
      type = Frames.FAILURE;
    } finally {
      CURRENT.end();
    }
    out.send(type, p.id(), System.nanoTime() - t0, payload);
  }

  private static Object invoke(Pending p, Codec codec) throws Exception {
    Object function = p.function();
    if (function instanceof Broken broken) {
      throw broken.error();
    }
    if (p.capturedLength() > 0) {
      Object[] captured;
      try {
        captured = (Object[]) codec.decode(p.frame(), p.capturedAt(), p.capturedLength());
      } catch (IOException | ClassCastException e) {
        throw new IOException(
            "what the lambda of job " + p.id() + " captured cannot be read in the worker: " + e, e);
      }
      function = LambdaShape.maker(function).instantiate(captured);
    }
    Object argument;
    try {
      argument = codec.decode(p.frame(), p.argumentAt(), p.frame().length - p.argumentAt());
    } catch (IOException e) {
      throw new IOException(
          "the argument of job " + p.id() + " cannot be read in the worker: " + e.getMessage(), e);
    }
    if (!(function instanceof TaskBody body)) {
      throw new IOException(
          "job " + p.id() + " is a " + function.getClass().getName() + ", not a task");
    }
    return body.invoke(argument);
  }

  /** The exception itself when it can be encoded, else a stand-in that keeps its text. */
  private static byte[] encodeFailure(Codec codec, Throwable t) {
    try {
      return codec.encode(t);
    } catch (IOException e) {
      try {
        return codec.encode(new RemoteTaskException(t));
      } catch (IOException e2) {
        throw new IllegalStateException("cannot encode even a plain exception", e2);
      }
    }
  }

  /**
   * The stream to the server. Each outcome is published at once: that costs no system call while
   * the server reads, and one ring, whatever the number of outcomes, while it sleeps.
   */
  private static final class Output {
    final DataOutputStream stream;

    Output(DataOutputStream stream) {
      this.stream = stream;
    }

    /** The first frame: this worker's pid. */
    synchronized void hello() throws IOException {
      Frames.write(stream, Frames.HELLO, ProcessHandle.current().pid(), new byte[0]);
      stream.flush();
    }

    synchronized void send(byte type, long id, long runNanos, byte[] payload) {
      try {
        Frames.writeOutcome(stream, type, id, runNanos, payload);
        stream.flush();
      } catch (IOException e) {
        Runtime.getRuntime().halt(0); // the server is gone
      }
    }

    synchronized void flush() throws IOException {
      stream.flush();
    }
  }

  private static final class Running {
    private final Set<Long> cancelled = new HashSet<>(); // guarded by this
    private long id = -1; // guarded by this
    private Thread thread; // guarded by this

    /**
     * With {@code interrupt}, interrupts job {@code jobId} if it runs now; marks it to be skipped
     * if it is {@code waiting}; forgets a job that has ended.
     */
    synchronized void cancel(long jobId, boolean interrupt, boolean waiting) {
      if (id == jobId) {
        if (interrupt) {
          thread.interrupt();
        }
      } else if (waiting) {
        cancelled.add(jobId);
      }
    }

    /** The task thread starts job {@code jobId}; false if it was cancelled first. */
    synchronized boolean start(long jobId) {
      if (cancelled.remove(jobId)) {
        return false;
      }
      id = jobId;
      thread = Thread.currentThread();
      return true;
    }

    /** The job has returned: no cancel reaches the thread after this. */
    synchronized void end() {
      id = -1;
      Thread.interrupted();
    }
  }

  /** Stands in for an exception from a worker that could not be sent as it was. */
  public static final class RemoteTaskException extends RuntimeException {
    @Serial private static final long serialVersionUID = 1L;

    RemoteTaskException(Throwable original) {
      super(
          original
              + " (not serializable; its stack trace in the worker:\n"
              + trace(original)
              + ")");
    }

    private static String trace(Throwable t) {
      StringWriter w = new StringWriter();
      t.printStackTrace(new PrintWriter(w));
      return w.toString();
    }
  }
}
