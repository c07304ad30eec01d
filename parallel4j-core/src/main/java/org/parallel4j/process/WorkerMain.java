package org.parallel4j.process;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serial;
import java.io.StringWriter;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.parallel4j.Task;
import org.parallel4j.spi.Codec;

/**
 * The main class of a worker process: connects to its job server over a Unix domain socket, runs
 * the tasks it is sent one after another on one thread, and sends back each result or exception.
 * When the server goes away (the socket closes, even because the server was killed) the worker
 * halts at once, so it never outlives its server.
 *
 * <p>Two threads take turns reading frames and running tasks (so a cancel is read while a task
 * runs, and a task starts on the thread that read it); tasks run one at a time in the order they
 * came. A flusher sends outcomes still buffered after {@link #FLUSH_AFTER_NANOS} when the runner
 * has gone on to another task, so a burst of small tasks shares system calls and no result waits
 * behind a long task.
 *
 * <p>Arguments: the socket path, the worker's name, the largest frame accepted.
 */
public final class WorkerMain {
  static final long FLUSH_AFTER_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

  private static volatile DataOutputStream toServer;

  /** The job the task thread runs now, and the jobs cancelled before they started. */
  private static final Running CURRENT = new Running();

  private WorkerMain() {}

  /** A task read from the server: its function (or why it could not be read) and argument. */
  private record Pending(long id, Object function, byte[] frame, int argumentAt) {}

  /** A function that could not be decoded: the tasks that use it fail with this. */
  private record Broken(IOException error) {}

  /** Entry point of a worker process. */
  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[0]);
    int maxFrame = Integer.parseInt(args[2]);
    Codec codec = new KryoCodec();
    SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    DataInputStream in =
        new DataInputStream(new BufferedInputStream(ChannelStreams.in(ch), 1 << 16));
    Output out =
        new Output(new DataOutputStream(new BufferedOutputStream(ChannelStreams.out(ch), 1 << 16)));
    synchronized (out) {
      Frames.write(out.stream, Frames.HELLO, ProcessHandle.current().pid(), new byte[0]);
      out.stream.flush();
    }
    toServer = out.stream;
    Thread.ofPlatform().daemon(true).name("parallel4j-flusher").start(out::flushLoop);
    Loop loop = new Loop(in, out, codec, maxFrame);
    Thread.ofPlatform().name("parallel4j-worker-b").start(loop::run);
    loop.run();
  }

  /**
   * Two threads take turns: one reads frames while the other may run tasks. The reader that
   * receives a task while none runs becomes the runner and hands reading to the other thread, so a
   * task starts without waking a thread, and a cancel is read while a task runs.
   */
  private static final class Loop {
    private final DataInputStream in;
    private final Output out;
    private final Codec codec;
    private final int maxFrame;
    private final ReentrantLock reading = new ReentrantLock();
    private final ArrayDeque<Pending> tasks = new ArrayDeque<>(); // guarded by itself
    private boolean running; // guarded by tasks
    private boolean shutdown; // guarded by tasks
    private final Object[] functions = new Object[ProcessBackend.FUNCTION_SLOTS]; // by the reader

    Loop(DataInputStream in, Output out, Codec codec, int maxFrame) {
      this.in = in;
      this.out = out;
      this.codec = codec;
      this.maxFrame = maxFrame;
    }

    void run() {
      while (true) {
        reading.lock();
        boolean runNow;
        try {
          runNow = readUntilTask();
        } finally {
          reading.unlock();
        }
        if (runNow) {
          runTasks();
        }
      }
    }

    /** Reads frames until one makes this thread the runner; true then. */
    private boolean readUntilTask() {
      while (true) {
        Frames.Frame frame;
        try {
          frame = Frames.read(in, maxFrame);
          checkShape(frame);
        } catch (EOFException e) {
          Runtime.getRuntime().halt(0); // the server is gone: never outlive it
          return false;
        } catch (IOException e) {
          System.err.println("parallel4j worker: bad input from the server, exiting: " + e);
          Runtime.getRuntime().halt(2);
          return false;
        }
        switch (frame.type()) {
          case Frames.DEFINE ->
              functions[(int) frame.id()] = decodeFunction(codec, frame.payload());
          case Frames.TASK -> {
            Pending p = pending(frame, functions, codec);
            synchronized (tasks) {
              tasks.add(p);
              if (!running) {
                running = true;
                return true;
              }
            }
          }
          case Frames.CANCEL -> CURRENT.cancel(frame.id(), true);
          case Frames.SKIP -> CURRENT.cancel(frame.id(), false);
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
      }
    }

    /** Runs queued tasks in order until none is left. */
    private void runTasks() {
      while (true) {
        Pending p;
        boolean last;
        synchronized (tasks) {
          p = tasks.poll();
          if (p == null) {
            running = false;
            if (shutdown) {
              exit();
            }
            return;
          }
          last = tasks.isEmpty();
        }
        runOne(p, codec, out, last);
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

  /** Set on the worker that records the start-up cache as it exits (see {@code WorkerCache}). */
  static final String RECORDING_PROPERTY = "parallel4j.recordingCache";

  /**
   * Runs what every worker runs on its first tasks (a lambda, a list, an exception through the
   * codec): here so that the start-up cache recorded at exit holds it, whichever tasks this worker
   * ran; in the parent to warm its codec while the workers start.
   */
  static void exerciseCodec(Codec codec) {
    try {
      int offset = 1;
      Task.Fn<Integer, Integer> fn = x -> x + offset;
      Task.Call<String> call = () -> "x";
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
      @SuppressWarnings("unchecked")
      Task.Fn<Integer, Integer> back = (Task.Fn<Integer, Integer>) codec.decode(codec.encode(fn));
      back.call(1);
    } catch (Exception e) {
      // a cache without these classes is still a cache
    }
  }

  /**
   * For tests of the server's defences: sends the server a frame header whose length field claims 2
   * GiB. A server must close this worker's channel without allocating it.
   */
  public static void sendHostileFrameForTesting() throws IOException {
    DataOutputStream out = toServer;
    synchronized (out) {
      out.writeInt(Integer.MAX_VALUE);
      out.writeByte(Frames.RESULT);
      out.flush();
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
          case Frames.TASK -> {
            if (p.length < 4) {
              yield false;
            }
            int slot = ByteBuffer.wrap(p).getInt();
            if (slot != Frames.INLINE) {
              yield slot >= 0 && slot < ProcessBackend.FUNCTION_SLOTS;
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
      return new Pending(frame.id(), functions[slot], frame.payload(), 4);
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
    return new Pending(frame.id(), function, frame.payload(), 8 + n);
  }

  private static void runOne(Pending p, Codec codec, Output out, boolean last) {
    long t0 = System.nanoTime();
    if (!CURRENT.start(p.id())) { // cancelled while queued here: answer, in order
      CancellationException cancelled =
          new CancellationException("job " + p.id() + " was cancelled before it started");
      out.send(Frames.FAILURE, p.id(), 0, encodeFailure(codec, cancelled), last);
      return;
    }
    byte type;
    byte[] payload;
    try {
      Object result = invoke(p, codec);
      try {
        payload = codec.encode(result);
        type = Frames.RESULT;
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
    out.send(type, p.id(), System.nanoTime() - t0, payload, last);
  }

  @SuppressWarnings("unchecked")
  private static Object invoke(Pending p, Codec codec) throws Exception {
    Object function = p.function();
    if (function instanceof Broken broken) {
      throw broken.error();
    }
    Object argument;
    try {
      argument = codec.decode(p.frame(), p.argumentAt(), p.frame().length - p.argumentAt());
    } catch (IOException e) {
      throw new IOException(
          "the argument of job " + p.id() + " cannot be read in the worker: " + e.getMessage(), e);
    }
    if (function instanceof Task.Fn<?, ?> fn) {
      return ((Task.Fn<Object, Object>) fn).call(argument);
    }
    if (function instanceof Task.Run run) {
      run.run();
      return null;
    }
    return ((java.util.concurrent.Callable<Object>) function).call();
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
   * The stream to the server, shared by the task thread, which writes outcomes, and the flusher,
   * which sends what the task thread left buffered.
   */
  private static final class Output {
    final DataOutputStream stream;
    private long dirtySince; // guarded by this; 0 when nothing is buffered
    private volatile Thread flusher;

    Output(DataOutputStream stream) {
      this.stream = stream;
    }

    /** Writes an outcome; flushes when no task waits ({@code last}), else leaves it to batch. */
    void send(byte type, long id, long runNanos, byte[] payload, boolean last) {
      boolean wake;
      try {
        synchronized (this) {
          Frames.writeOutcome(stream, type, id, runNanos, payload);
          if (last) {
            stream.flush();
            dirtySince = 0;
            return;
          }
          wake = dirtySince == 0;
          if (wake) {
            dirtySince = System.nanoTime();
          }
        }
      } catch (IOException e) {
        Runtime.getRuntime().halt(0); // the server is gone
        return;
      }
      Thread f = flusher;
      if (wake && f != null) {
        LockSupport.unpark(f);
      }
    }

    synchronized void flush() throws IOException {
      stream.flush();
      dirtySince = 0;
    }

    /** Flushes outcomes left buffered for {@link #FLUSH_AFTER_NANOS}; parks while none are. */
    void flushLoop() {
      flusher = Thread.currentThread();
      while (true) {
        long wait;
        synchronized (this) {
          wait = dirtySince == 0 ? -1 : dirtySince + FLUSH_AFTER_NANOS - System.nanoTime();
          if (dirtySince != 0 && wait <= 0) {
            try {
              flush();
            } catch (IOException e) {
              Runtime.getRuntime().halt(0);
            }
            continue;
          }
        }
        if (wait < 0) {
          LockSupport.park(this);
        } else {
          LockSupport.parkNanos(this, wait);
        }
      }
    }
  }

  private static final class Running {
    private final Set<Long> cancelled = new HashSet<>(); // guarded by this
    private long id = -1; // guarded by this
    private Thread thread; // guarded by this

    /**
     * Marks job {@code jobId} to be skipped if it has not started; with {@code interrupt},
     * interrupts it if it runs now.
     */
    synchronized void cancel(long jobId, boolean interrupt) {
      if (id == jobId) {
        if (interrupt) {
          thread.interrupt();
        }
      } else {
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
