package org.parallel4j.cluster;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.stack.IpAddress;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.JobServerBuilder;
import org.parallel4j.Task;
import org.parallel4j.codec.KryoCodec;
import org.parallel4j.spi.Codec;
import org.parallel4j.spi.TaskBody;

/**
 * A node: Parallel Python's {@code ppserver}. It joins a cluster, offers its workers (a worker
 * process engine by default) to every job server there, and runs the jobs they send. Started by
 * {@code parallel4j node}, or embedded with {@link #builder()}.
 *
 * <p>Each job server that greets the node gets a session: the node runs at most its workers' count
 * of jobs at once over all sessions, round robin between them, and at most the limit each server
 * set; the rest wait in the node, in order. A job counts as started when the node hands it to a
 * worker, and the node tells its server so. A job server that leaves the cluster, or is suspected,
 * has its jobs cancelled and its waiting ones dropped, so that its workers are free within the
 * failure detector's time. Thread-safe.
 */
public final class Node implements AutoCloseable {
  static final System.Logger LOG = System.getLogger("org.parallel4j.cluster.Node");

  /** The most function slots a job server may define per session. */
  static final int FUNCTION_SLOTS = 4096;

  static final int CACHE_DAYS = 7;
  static final int CACHE_MIB = 1024;

  /** The most bytes of results sent in one message. */
  private static final int MAX_BATCH_BYTES = 1 << 20;

  private final Config config;
  private final JobServer local;
  private final JChannel channel;
  private final String name;
  private final Map<Address, NodeSession> sessions = new ConcurrentHashMap<>();
  // servers told to greet again since they last did: each is told once (see Wire.AGAIN)
  private final java.util.Set<Address> toldAgain = ConcurrentHashMap.newKeySet();
  private final List<NodeSession> order = new ArrayList<>(); // guarded by this: round robin
  private int next; // guarded by this
  private int running; // guarded by this
  private boolean scheduling; // guarded by this
  private boolean scheduleAgain; // guarded by this
  private boolean draining; // guarded by this: no job starts any more
  private boolean byeRequested; // guarded by outbox: the sender says BYE after what it sends
  private final CountDownLatch byeSent = new CountDownLatch(1);
  private final Thread sender;
  final Object outbox = new Object();
  private boolean dirty; // guarded by outbox
  private volatile boolean closed;
  private final long startedAt = System.nanoTime();
  private volatile boolean idledOut; // closed by closeWhenIdle
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** What a node is started with; see {@link NodeBuilder}. */
  record Config(
      String cluster,
      InetAddress bind,
      int port,
      List<InetSocketAddress> peers,
      int workers,
      boolean threads,
      int maxTasksPerWorker,
      List<String> workerJvmArgs,
      ClusterSecurity security,
      java.nio.file.Path classCache,
      boolean discover,
      Membership.Dns dns,
      Duration idleExit,
      Integer dashboard) {}

  private Node(Config config) throws Exception {
    this.config = config;
    try {
      ShippedCode.evict(
          config.classCache(), java.time.Duration.ofDays(CACHE_DAYS), (long) CACHE_MIB << 20);
    } catch (java.io.IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot tidy the class cache " + config.classCache(), e);
    }
    JobServerBuilder b = JobServer.builder();
    if (config.threads()) {
      b.threads(config.workers());
    } else {
      b.processes(config.workers());
      if (!config.workerJvmArgs().isEmpty()) {
        b.workerJvmArgs(config.workerJvmArgs().toArray(String[]::new));
      }
      if (config.maxTasksPerWorker() > 0) {
        b.maxTasksPerWorker(config.maxTasksPerWorker());
      }
    }
    Membership membership =
        new Membership(LOG, "node " + Addresses.format(config.bind(), config.port()));
    this.channel =
        membership.channel(
            config.security(),
            config.cluster(),
            config.bind(),
            config.port(),
            config.peers(),
            config.discover(),
            config.dns());
    channel.setReceiver(new Inbox());
    if (config.dashboard() != null) {
      b.dashboard(config.dashboard());
    }
    try {
      this.local = b.name("node-" + config.port()).build();
    } catch (RuntimeException e) { // its dashboard's port was taken, say: the channel goes too
      channel.close();
      throw e;
    }
    try {
      channel.connect(config.cluster());
    } catch (Exception e) {
      local.shutdownNow();
      channel.close();
      throw e;
    }
    IpAddress self =
        (IpAddress) channel.down(new Event(Event.GET_PHYSICAL_ADDRESS, channel.getAddress()));
    this.name = Addresses.format(self.getIpAddress(), self.getPort());
    this.sender = Thread.ofPlatform().name("parallel4j-node-sender").daemon().start(this::sendLoop);
    if (config.idleExit() != null) {
      Thread.ofPlatform().name("parallel4j-node-idle").daemon().start(this::closeWhenIdle);
    }
  }

  /**
   * Closes the node once no job server has had a session with it for the configured idle time (pp's
   * {@code -t}); looks a few times within that time, at most once a second.
   */
  private void closeWhenIdle() {
    long idle = config.idleExit().toNanos();
    long look = Math.min(TimeUnit.SECONDS.toNanos(1), Math.max(idle / 4, 1));
    long idleSince = System.nanoTime();
    while (!closed) {
      java.util.concurrent.locks.LockSupport.parkNanos(look);
      if (!sessions.isEmpty()) {
        idleSince = System.nanoTime();
      } else if (System.nanoTime() - idleSince >= idle) {
        LOG.log(
            System.Logger.Level.INFO,
            "node "
                + name
                + ": no job server for "
                + config.idleExit().toSeconds()
                + " s (idle exit): stopping");
        idledOut = true;
        close();
      }
    }
  }

  /** Whether the node has closed (stopped, drained, or idle past its idle exit). */
  public boolean isClosed() {
    return closed;
  }

  /** Whether the node closed itself because no job server came for its idle exit time. */
  public boolean idledOut() {
    return idledOut;
  }

  /** A builder of a node, with its defaults: 127.0.0.1:7800, cluster {@code parallel4j}. */
  public static NodeBuilder builder() {
    return new NodeBuilder();
  }

  /** Starts a node with a checked configuration: {@link NodeBuilder#start()}. */
  static Node start(Config config) throws Exception {
    return new Node(config);
  }

  /** Where the node's dashboard serves ({@link NodeBuilder#dashboard}), if it has one. */
  public java.util.Optional<java.net.URI> dashboard() {
    return local.dashboard();
  }

  /** This node's address as members reach it, {@code host:port}. */
  public String address() {
    return name;
  }

  /** How many jobs this node runs at once. */
  public int workers() {
    return config.workers();
  }

  /**
   * Stops taking work, finishes the jobs that run, hands back those that wait, then leaves the
   * cluster and closes: what SIGTERM does to {@code parallel4j node}. Each job server is told first
   * ({@link Wire#DRAINING}), so that it sends nothing more; once the running jobs have ended and
   * their outcomes are sent, it is told that the node is gone ({@link Wire#BYE}), and it runs the
   * jobs that waited here elsewhere, with no attempt counted.
   *
   * @param timeout how long running jobs may take to end; those still running then are cancelled
   * @return whether every running job ended in time
   */
  public boolean drain(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      if (closed || draining) {
        return running == 0;
      }
      draining = true;
    }
    for (NodeSession s : sessions.values()) {
      send(s.server, new Wire.Out(Wire.DRAINING, 1).toByteArray());
    }
    LOG.log(
        System.Logger.Level.INFO,
        "node " + name + ": draining: " + running() + " jobs running, the waiting ones go back");
    boolean ended;
    synchronized (this) {
      long left;
      while (running > 0 && (left = deadline - System.nanoTime()) > 0) {
        wait(Math.max(1, left / 1_000_000));
      }
      ended = running == 0;
    }
    synchronized (outbox) {
      byeRequested = true;
      dirty = true;
      outbox.notifyAll();
    }
    byeSent.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    close();
    return ended;
  }

  /** Leaves the cluster and stops the workers; jobs still held are cancelled. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    channel.close();
    for (NodeSession s : sessions.values()) {
      s.close("the node is closing");
    }
    local.shutdownNow();
    sender.interrupt();
    stopped.countDown();
  }

  private synchronized int running() {
    return running;
  }

  /** Waits until the node is closed. */
  public void awaitClosed() throws InterruptedException {
    stopped.await();
  }

  /** Waits at most {@code timeout} until the node is closed; whether it is. */
  public boolean awaitClosed(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public String toString() {
    return "node " + name + " (workers=" + config.workers() + ", cluster=" + config.cluster() + ")";
  }

  // ---- receiving ----------------------------------------------------------------------------

  private final class Inbox implements Receiver {
    @Override
    public void receive(Message msg) {
      Address from = msg.getSrc();
      try {
        Wire.In in = new Wire.In(msg.getArray(), msg.getOffset(), msg.getLength());
        byte type = in.readByte();
        switch (type) {
          case Wire.HELLO -> hello(from, in);
          case Wire.JOBS -> {
            NodeSession s = session(from);
            if (s != null) {
              s.inOrder(() -> s.jobs(in)); // decoding may fetch classes from the server
            }
          }
          case Wire.CANCEL -> {
            NodeSession s = session(from);
            if (s != null) {
              long id = in.readLong();
              boolean interrupt = in.readBoolean();
              s.inOrder(() -> s.cancel(id, interrupt)); // after the jobs sent before it
            }
          }
          case Wire.LIMIT -> {
            NodeSession s = session(from);
            if (s != null) {
              int limit = in.readInt();
              s.inOrder(() -> s.limit(limit));
            }
          }
          case Wire.SOURCE -> {
            NodeSession s = sessions.get(from);
            String className = in.readString();
            String hash = in.readString();
            if (s != null) {
              s.code.source(className, hash);
            }
          }
          case Wire.JAR -> {
            NodeSession s = sessions.get(from);
            String hash = in.readString();
            byte[] bytes = in.readBytes();
            if (s != null) {
              s.code.jar(hash, bytes == null ? new byte[0] : bytes);
            }
          }
          default -> throw new IOException("unknown message type " + type);
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "node " + name + ": a broken message from " + from + " was dropped: " + e,
            e);
      }
    }

    @Override
    public void viewAccepted(View view) {
      toldAgain.removeIf(a -> !view.containsMember(a));
      for (NodeSession s : sessions.values()) {
        if (!view.containsMember(s.server)) {
          sessions.remove(s.server, s);
          s.close("its job server " + s.serverName + " left the cluster");
        }
      }
    }
  }

  /**
   * The session of {@code from}; null for a server this node holds none of (it suspected the
   * server, or restarted): that server is told, once, to greet again, and the message dropped.
   */
  private NodeSession session(Address from) {
    NodeSession s = sessions.get(from);
    if (s == null && toldAgain.add(from)) {
      send(from, new Wire.Out(Wire.AGAIN, 1).toByteArray());
    }
    return s;
  }

  private void hello(Address from, Wire.In in) throws IOException {
    String version = in.readString();
    String serverName = in.readString();
    String codecClass = in.readString();
    String mine = Version.CURRENT;
    if (!mine.equals(version)) {
      String reason =
          "node "
              + name
              + " runs parallel4j "
              + mine
              + " and job server "
              + serverName
              + " runs parallel4j "
              + version
              + ": they cannot work together";
      LOG.log(System.Logger.Level.ERROR, reason);
      send(from, new Wire.Out(Wire.REFUSE, 64).writeString(reason).toByteArray());
      return;
    }
    ShippedCode code =
        new ShippedCode(
            new ShippedCode.Server() {
              @Override
              public void askSource(String className) {
                send(from, new Wire.Out(Wire.FETCH, 64).writeString(className).toByteArray());
              }

              @Override
              public void askJar(String hash) {
                send(from, new Wire.Out(Wire.FETCH_JAR, 80).writeString(hash).toByteArray());
              }
            },
            config.classCache(),
            Node.class.getClassLoader());
    Codec codec;
    try {
      codec = codec(codecClass, code);
    } catch (ReflectiveOperationException | RuntimeException e) {
      String reason = "node " + name + " cannot make the codec " + codecClass + ": " + e;
      send(from, new Wire.Out(Wire.REFUSE, 64).writeString(reason).toByteArray());
      return;
    }
    // not checked against the view: the greeting may come before this node installs the view
    // that has the server; a session of a server that left is closed by the next view
    toldAgain.remove(from);
    NodeSession fresh = new NodeSession(this, from, serverName, codec, code);
    NodeSession old;
    synchronized (this) {
      old = sessions.put(from, fresh);
      order.add(fresh);
    }
    if (old != null) { // greeted again (say, after a merge): its earlier jobs were given up
      old.close("its job server greeted again");
    }
    long pid = ProcessHandle.current().pid();
    int held = 0;
    int others = 0;
    for (NodeSession s : sessions.values()) {
      held += s.jobs.size();
      others += s.server.equals(from) ? 0 : 1;
    }
    int now = running();
    send(
        from,
        new Wire.Out(Wire.WELCOME, 64)
            .writeString(mine)
            .writeInt(config.workers())
            .writeString(name)
            .writeLong(pid)
            .writeInt(now)
            .writeInt(Math.max(0, held - now))
            .writeInt(others)
            .writeLong(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt))
            .toByteArray());
  }

  /**
   * The codec a server named, finding classes through {@code code}: made with a {@code ClassLoader}
   * constructor where it has one; without, classes are not shipped to it.
   */
  private static Codec codec(String className, ClassLoader code)
      throws ReflectiveOperationException {
    if (className.equals(KryoCodec.class.getName())) {
      return new KryoCodec(code);
    }
    // checked before it is initialised: a peer names the class
    Class<? extends Codec> type =
        Class.forName(className, false, Node.class.getClassLoader()).asSubclass(Codec.class);
    try {
      return type.getConstructor(ClassLoader.class).newInstance(code);
    } catch (NoSuchMethodException e) {
      return type.getConstructor().newInstance();
    }
  }

  /**
   * A worker-process engine whose workers also have {@code jars} (code a server shipped) on their
   * class path; null for a node on threads, whose jobs find shipped classes through the session's
   * loader.
   */
  JobServer engineWith(List<java.nio.file.Path> jars) {
    if (config.threads()) {
      return null;
    }
    JobServerBuilder b = JobServer.builder().processes(config.workers());
    if (!config.workerJvmArgs().isEmpty()) {
      b.workerJvmArgs(config.workerJvmArgs().toArray(String[]::new));
    }
    if (config.maxTasksPerWorker() > 0) {
      b.maxTasksPerWorker(config.maxTasksPerWorker());
    }
    return b.workerClassPath(jars.toArray(java.nio.file.Path[]::new))
        .name("node-" + config.port() + "-shipped")
        .build();
  }

  private void send(Address to, byte[] bytes) {
    try {
      channel.send(new BytesMessage(to, bytes));
    } catch (Exception e) {
      if (!closed) {
        LOG.log(System.Logger.Level.WARNING, "node " + name + ": cannot reach " + to + ": " + e);
      }
    }
  }

  /** {@code s} is closed: it takes no more turns. Holds this. */
  void dropped(NodeSession s) {
    order.remove(s);
  }

  /** Starts waiting jobs while there are free workers, round robin between sessions. */
  void schedule() {
    synchronized (this) {
      if (draining) {
        return; // what waits is handed back
      }
      if (scheduling) {
        scheduleAgain = true; // a job that ended at once, inside start: the loop below goes on
        return;
      }
      scheduling = true;
      try {
        do {
          scheduleAgain = false;
          boolean progress = true;
          while (progress && running < config.workers() && !order.isEmpty()) {
            progress = false;
            for (int i = 0; i < order.size() && running < config.workers(); i++) {
              NodeSession s = order.get(Math.floorMod(next++, order.size()));
              if (s.running < s.limit && !s.pending.isEmpty()) {
                start(s.pending.poll());
                progress = true;
              }
            }
          }
        } while (scheduleAgain);
      } finally {
        scheduling = false;
      }
    }
  }

  /** Hands {@code job} to a worker. Holds this. */
  @SuppressWarnings("unchecked")
  private void start(NodeSession.NodeJob job) {
    running++;
    job.session.running++;
    job.startedAt = System.nanoTime();
    Task.Fn<Object, Object> fn =
        job.body instanceof Task.Fn<?, ?> f ? (Task.Fn<Object, Object>) f : new Invoke(job.body);
    JobServer engine = job.session.engine() != null ? job.session.engine() : local;
    Job<Object> l;
    try {
      l =
          job.deadlineNanos > 0
              ? engine.submit(fn, job.argument, Duration.ofNanos(job.deadlineNanos))
              : engine.submit(fn, job.argument);
    } catch (RuntimeException e) { // refused: it cannot be shipped to a worker, or closing
      running--;
      job.session.running--;
      finish(job, null, e);
      return;
    }
    job.local = l;
    job.session.started(job.id);
    l.whenComplete((result, error) -> ended(job, result, error));
  }

  private void ended(NodeSession.NodeJob job, Object result, Throwable error) {
    try {
      finish(job, result, error); // queued before the count drops: a drain's BYE comes after it
    } finally {
      synchronized (this) {
        running--;
        job.session.running--;
        if (draining && running == 0) {
          notifyAll(); // drain waits for this
        }
      }
      schedule();
    }
  }

  /** Sends the job's outcome to its server; once per job. */
  void finish(NodeSession.NodeJob job, Object result, Throwable error) {
    NodeSession s = job.session;
    if (s.jobs.remove(job.id) == null) {
      return; // its session closed: the server gave it up
    }
    if (error instanceof CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    long runNanos = job.startedAt == 0 ? 0 : System.nanoTime() - job.startedAt;
    byte[] bytes;
    boolean failed = error != null;
    if (!failed) {
      try {
        bytes = s.codec.encode(result);
      } catch (IOException | RuntimeException | StackOverflowError e) {
        failed = true;
        error =
            new IOException(
                "the result of job " + job.id + " cannot be sent back: " + e.getMessage(), e);
        bytes = null;
      }
    } else {
      bytes = null;
    }
    if (failed) {
      bytes = encodeFailure(s.codec, error);
    }
    s.done(new NodeSession.Done(job.id, failed, runNanos, bytes));
  }

  private static byte[] encodeFailure(Codec codec, Throwable t) {
    try {
      return codec.encode(t);
    } catch (IOException | RuntimeException | StackOverflowError e) {
      StringWriter trace = new StringWriter();
      t.printStackTrace(new PrintWriter(trace));
      try {
        return codec.encode(
            new RuntimeException(t + " (not serializable; its stack trace on the node:\n" + trace));
      } catch (IOException e2) {
        throw new IllegalStateException("cannot encode even a plain exception", e2);
      }
    }
  }

  /** A task that is not a {@link Task.Fn}, run as one. */
  record Invoke(TaskBody body) implements Task.Fn<Object, Object> {
    @Override
    public Object call(Object argument) throws Exception {
      return body.invoke(argument);
    }
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Holds outbox. */
  void wake() {
    if (!dirty) {
      dirty = true;
      outbox.notifyAll();
    }
  }

  private void sendLoop() {
    try {
      while (!closed) {
        Map<NodeSession, NodeSession.Outgoing> batch = new HashMap<>();
        boolean bye;
        synchronized (outbox) {
          while (!dirty) {
            outbox.wait();
          }
          dirty = false;
          bye = byeRequested;
          for (NodeSession s : sessions.values()) {
            NodeSession.Outgoing d = s.drain();
            if (d != null) {
              batch.put(s, d);
            }
          }
        }
        for (Map.Entry<NodeSession, NodeSession.Outgoing> e : batch.entrySet()) {
          sendDone(e.getKey(), e.getValue().started(), e.getValue().done());
        }
        if (bye) { // after the last outcomes, on the same channel: they arrive first
          for (NodeSession s : sessions.values()) {
            send(s.server, new Wire.Out(Wire.BYE, 1).toByteArray());
          }
          byeSent.countDown();
          return;
        }
      }
    } catch (InterruptedException e) {
      // closed
    }
  }

  private void sendDone(NodeSession s, List<Long> started, List<NodeSession.Done> done) {
    int from = 0;
    do {
      Wire.Out out = new Wire.Out(Wire.DONE, 64 + started.size() * 8);
      out.writeInt(started.size());
      for (long id : started) {
        out.writeLong(id);
      }
      started = List.of();
      int end = from;
      int bytes = 0;
      while (end < done.size() && (end == from || bytes < MAX_BATCH_BYTES)) {
        NodeSession.Done d = done.get(end++);
        bytes += 21 + d.bytes().length;
      }
      out.writeInt(end - from);
      for (int i = from; i < end; i++) {
        NodeSession.Done d = done.get(i);
        out.writeLong(d.id())
            .writeBoolean(d.failed())
            .writeLong(d.runNanos())
            .writeBytes(d.bytes());
      }
      send(s.server, out.toByteArray());
      from = end;
    } while (from < done.size());
  }
}
