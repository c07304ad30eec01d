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
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.parallel4j.Task;
import org.parallel4j.spi.Codec;

/**
 * The main class of a worker process: connects to its job server over a Unix domain socket, runs
 * the tasks it is sent one after another on one thread, and sends back each result or exception.
 * When the server goes away (the socket closes, even because the server was killed) the worker
 * halts at once, so it never outlives its server.
 *
 * <p>Arguments: the socket path, the worker's name, the largest frame accepted.
 */
public final class WorkerMain {
  private WorkerMain() {}

  /** Entry point of a worker process. */
  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[0]);
    int maxFrame = Integer.parseInt(args[2]);
    Codec codec = new JavaSerializationCodec();
    SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    DataInputStream in =
        new DataInputStream(new BufferedInputStream(ChannelStreams.in(ch), 1 << 16));
    DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(ChannelStreams.out(ch), 1 << 16));
    synchronized (out) {
      Frames.write(out, Frames.HELLO, ProcessHandle.current().pid(), new byte[0]);
      out.flush();
    }
    toServer = out;
    ExecutorService runner =
        Executors.newSingleThreadExecutor(r -> new Thread(r, "parallel4j-task"));
    while (true) {
      Frames.Frame frame;
      try {
        frame = Frames.read(in, maxFrame);
      } catch (EOFException e) {
        Runtime.getRuntime().halt(0); // the server is gone: never outlive it
        return;
      } catch (IOException e) {
        System.err.println("parallel4j worker: bad input from the server, exiting: " + e);
        Runtime.getRuntime().halt(2);
        return;
      }
      if (frame.type() == Frames.SHUTDOWN) {
        runner.shutdown();
        runner.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        synchronized (out) {
          out.flush();
        }
        Runtime.getRuntime().halt(0);
      }
      if (frame.type() == Frames.TASK) {
        runner.execute(() -> run(frame, codec, out));
      }
      if (frame.type() == Frames.CANCEL) {
        CURRENT.cancel(frame.id());
      }
    }
  }

  private static volatile DataOutputStream toServer;

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

  /** The job the task thread runs now, and the jobs cancelled before they started. */
  private static final Running CURRENT = new Running();

  private static final class Running {
    private final java.util.Set<Long> cancelled = new java.util.HashSet<>(); // guarded by this
    private long id = -1; // guarded by this
    private Thread thread; // guarded by this

    /** Interrupts job {@code jobId} if it runs now, else marks it to be skipped. */
    synchronized void cancel(long jobId) {
      if (id == jobId) {
        thread.interrupt();
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

  private static void run(Frames.Frame frame, Codec codec, DataOutputStream out) {
    byte type;
    byte[] payload;
    if (!CURRENT.start(frame.id())) { // cancelled while queued here: answer, in order
      send(
          out,
          Frames.FAILURE,
          frame.id(),
          encodeFailure(
              codec,
              new java.util.concurrent.CancellationException(
                  "job " + frame.id() + " was cancelled before it started")));
      return;
    }
    try {
      Object result = invoke((Object[]) codec.decode(frame.payload()));
      try {
        payload = codec.encode(result);
        type = Frames.RESULT;
      } catch (IOException e) {
        payload =
            encodeFailure(
                codec,
                new IOException(
                    "the result of job " + frame.id() + " cannot be sent back: " + e.getMessage(),
                    e));
        type = Frames.FAILURE;
      }
    } catch (Throwable t) {
      payload = encodeFailure(codec, t);
      type = Frames.FAILURE;
    } finally {
      CURRENT.end();
    }
    send(out, type, frame.id(), payload);
  }

  private static void send(DataOutputStream out, byte type, long id, byte[] payload) {
    try {
      synchronized (out) {
        Frames.write(out, type, id, payload);
        out.flush();
      }
    } catch (IOException e) {
      Runtime.getRuntime().halt(0); // the server is gone
    }
  }

  @SuppressWarnings("unchecked")
  private static Object invoke(Object[] taskAndArgument) throws Exception {
    Object task = taskAndArgument[0];
    if (task instanceof Task.Fn<?, ?> fn) {
      return ((Task.Fn<Object, Object>) fn).call(taskAndArgument[1]);
    }
    return ((Callable<Object>) task).call();
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
