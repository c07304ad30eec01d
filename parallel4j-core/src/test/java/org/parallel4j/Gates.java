package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Latches and counters for the contract suite's tasks, so that no test waits on time. Tasks call
 * the static methods. In the test's JVM they act on the fields below; in a worker process (started
 * with {@code -Dparallel4j.test.gates=PORT}, see {@link #workerJvmArg()}) each call goes over a
 * socket on 127.0.0.1 to a small server in the test's JVM, which acts on the same fields, so the
 * assertions read the same state for every engine.
 */
final class Gates {
  static final String PORT_PROPERTY = "parallel4j.test.gates";
  private static final Integer REMOTE = Integer.getInteger(PORT_PROPERTY);

  static volatile List<CountDownLatch> gates = List.of();
  static volatile CountDownLatch onStart;
  static volatile AtomicInteger interrupts;
  static volatile AtomicInteger running;
  static volatile AtomicInteger maxRunning;
  static volatile AtomicInteger[] runsPerInput;
  static volatile Map<Long, Boolean> seen;

  /** For each tag, the workers that reported running it ({@link #at}), in order. */
  static final Map<Integer, List<Long>> where = new java.util.concurrent.ConcurrentHashMap<>();

  private static final byte AWAIT = 1;
  private static final byte STARTED = 2;
  private static final byte INTERRUPTED = 3;
  private static final byte ENTER = 4;
  private static final byte EXIT = 5;
  private static final byte RAN = 6;
  private static final byte FIRST_RUN = 7;
  private static final byte AT = 8;
  private static final long NEVER_OPENED = -1;

  private static ServerSocket server; // guarded by Gates.class
  private static final ThreadLocal<Connection> CONNECTION = new ThreadLocal<>();

  private Gates() {}

  static void reset() {
    gates = List.of();
    onStart = null;
    interrupts = null;
    running = null;
    maxRunning = null;
    runsPerInput = null;
    seen = null;
    where.clear();
  }

  static void create(int n) {
    gates =
        Collections.unmodifiableList(
            IntStream.range(0, n)
                .mapToObj(i -> new CountDownLatch(1))
                .collect(Collectors.toList()));
  }

  static void open(int i) {
    gates.get(i).countDown();
  }

  static void openAll() {
    gates.forEach(CountDownLatch::countDown);
  }

  // ---- called by tasks
  // ---------------------------------------------------------------------------

  /** Waits for gate {@code i}, ignoring interrupts (the flag stays set); returns 0. */
  static int await(int i) {
    if (REMOTE != null) {
      checkOpened(i, call(AWAIT, i));
      return 0;
    }
    CountDownLatch gate = gates.get(i);
    boolean interrupted = false;
    while (true) {
      try {
        checkOpened(i, gate.await(60, SECONDS) ? 0 : NEVER_OPENED);
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** Waits for gate {@code i}; an interrupt ends the wait. */
  static int awaitInterruptibly(int i) throws InterruptedException {
    if (REMOTE != null) { // a channel, unlike a socket, gives way to an interrupt
      try (SocketChannel ch =
          SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), REMOTE))) {
        ByteBuffer request = ByteBuffer.allocate(9).put(AWAIT).putLong(i).flip();
        while (request.hasRemaining()) {
          ch.write(request);
        }
        ByteBuffer reply = ByteBuffer.allocate(8);
        while (reply.hasRemaining()) {
          if (ch.read(reply) < 0) {
            throw new IllegalStateException("the gate server closed the connection");
          }
        }
        checkOpened(i, reply.flip().getLong());
        return 0;
      } catch (ClosedByInterruptException e) {
        Thread.interrupted();
        throw new InterruptedException("interrupted while waiting for gate " + i);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    checkOpened(i, gates.get(i).await(60, SECONDS) ? 0 : NEVER_OPENED);
    return 0;
  }

  static void started() {
    if (REMOTE != null) {
      call(STARTED, 0);
    } else {
      onStart.countDown();
    }
  }

  /** Counts an interrupt the task saw; returns the count. */
  static int interrupted() {
    return REMOTE != null ? (int) call(INTERRUPTED, 0) : interrupts.incrementAndGet();
  }

  /** The task begins: counts it as running and keeps the most seen running at once. */
  static void enter() {
    if (REMOTE != null) {
      call(ENTER, 0);
    } else {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
    }
  }

  static void exit() {
    if (REMOTE != null) {
      call(EXIT, 0);
    } else {
      running.decrementAndGet();
    }
  }

  /** Counts a run of input {@code x}. */
  static void ran(int x) {
    if (REMOTE != null) {
      call(RAN, x);
    } else {
      runsPerInput[x].incrementAndGet();
    }
  }

  /** Whether this is the first run of input {@code x}. */
  static boolean firstRun(long x) {
    return REMOTE != null ? call(FIRST_RUN, x) == 1 : seen.putIfAbsent(x, Boolean.TRUE) == null;
  }

  /**
   * Reports that the task tagged {@code tag} runs on worker {@code worker} (a pid, or a test
   * backend's worker id): a failover test then knows which worker to kill.
   */
  static void at(int tag, long worker) {
    if (REMOTE != null) {
      call(AT, ((long) tag << 40) | worker);
    } else {
      where
          .computeIfAbsent(tag, t -> new java.util.concurrent.CopyOnWriteArrayList<>())
          .add(worker);
    }
  }

  /** The workers that reported tag {@code tag}, in order; empty if none did. */
  static List<Long> where(int tag) {
    return where.getOrDefault(tag, List.of());
  }

  private static void checkOpened(int i, long reply) {
    if (reply == NEVER_OPENED) {
      throw new AssertionError("gate " + i + " was never opened");
    }
  }

  // ---- the link between a worker process and the test's JVM
  // --------------------------------------

  /** The JVM option that points a worker process at this JVM's gates. */
  static synchronized String workerJvmArg() {
    if (server == null) {
      try {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Thread.ofPlatform().daemon().name("gates-server").start(Gates::accept);
    }
    return "-D" + PORT_PROPERTY + "=" + server.getLocalPort();
  }

  private static void accept() {
    while (true) {
      try {
        Socket s = server.accept();
        Thread.ofPlatform().daemon().name("gates-connection").start(() -> serve(s));
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void serve(Socket s) {
    try (s;
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
      while (true) {
        byte op = in.readByte();
        long arg = in.readLong();
        out.writeLong(answer(op, arg));
        out.flush();
      }
    } catch (IOException e) {
      // the worker is gone, or gave up waiting
    }
  }

  private static long answer(byte op, long arg) {
    switch (op) {
      case AWAIT -> {
        try {
          return gates.get((int) arg).await(60, SECONDS) ? 0 : NEVER_OPENED;
        } catch (InterruptedException e) {
          return NEVER_OPENED;
        }
      }
      case STARTED -> started();
      case INTERRUPTED -> {
        return interrupted();
      }
      case ENTER -> enter();
      case EXIT -> exit();
      case RAN -> ran((int) arg);
      case FIRST_RUN -> {
        return firstRun(arg) ? 1 : 0;
      }
      case AT -> at((int) (arg >>> 40), arg & ((1L << 40) - 1));
      default -> throw new IllegalArgumentException("op " + op);
    }
    return 0;
  }

  private static long call(byte op, long arg) {
    try {
      Connection c = CONNECTION.get();
      if (c == null) {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), REMOTE);
        s.setTcpNoDelay(true);
        c =
            new Connection(
                new DataInputStream(s.getInputStream()), new DataOutputStream(s.getOutputStream()));
        CONNECTION.set(c);
      }
      c.out.writeByte(op);
      c.out.writeLong(arg);
      c.out.flush();
      return c.in.readLong();
    } catch (IOException e) {
      CONNECTION.remove();
      throw new UncheckedIOException(e);
    }
  }

  private record Connection(DataInputStream in, DataOutputStream out) {}
}
