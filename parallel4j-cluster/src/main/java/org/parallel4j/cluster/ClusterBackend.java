package org.parallel4j.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
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

/**
 * A job server's backend whose workers are the nodes of a cluster; see {@link Cluster}.
 *
 * <h2>Implementation</h2>
 *
 * <b>Threads.</b> JGroups delivers messages on its own threads, which only hand them on: a results
 * thread decodes what nodes send and ends the jobs (so a slow callback never stalls the transport),
 * and a dispatcher thread takes jobs from the server's queue, encodes them into one message per
 * node per round, and sends the greetings, cancels and limits queued for it ({@link #control}), so
 * that a cancel never overtakes the job it cancels.
 *
 * <p><b>Window.</b> Each node holds at most its share of the workers ({@link #setWorkers}) plus a
 * pipeline of about {@link #PIPELINE_NANOS} of work by its jobs' measured mean run time, from 1 to
 * {@link #MAX_PIPELINE} jobs: a node finishing a job finds the next one already there, and a slow
 * node is not handed what a fast one could run.
 *
 * <p><b>Encoding.</b> As for worker processes ({@link Shipment}): a function that cannot change is
 * sent to a node once, into a slot, and later jobs name the slot.
 *
 * <p><b>Failure.</b> Each node is one registered worker of the server ({@link WorkerHandle}): when
 * the node leaves the view, the server re-runs what it held; results that still come from it are
 * dropped because its handle is gone.
 */
final class ClusterBackend implements Backend {
  private static final System.Logger LOG = System.getLogger("org.parallel4j.cluster.Cluster");
  static final long PIPELINE_NANOS = 2_000_000;
  static final int MAX_PIPELINE = 4096;
  static final long CANCEL_ANSWER_MILLIS = 2000;
  private static final int MAX_BATCH_JOBS = 2048;
  private static final int MAX_BATCH_BYTES = 1 << 20;

  private final Cluster.Config config;
  private BackendContext context;
  private WorkSource source;
  private Codec codec;
  private String serverName;
  private JChannel channel;
  private Membership membership;
  private final Shipment.Cache functions = new Shipment.Cache();
  private final Map<Address, NodeLink> nodes = new ConcurrentHashMap<>();
  private final Map<Address, Boolean> greeted = new ConcurrentHashMap<>();
  private final Map<String, String> refusedBy = new ConcurrentHashMap<>(); // node name: reason
  private final ConcurrentLinkedQueue<Runnable> controls = new ConcurrentLinkedQueue<>();
  private final BlockingQueue<Runnable> results = new LinkedBlockingQueue<>();
  private volatile int cap = Integer.MAX_VALUE;
  private Thread dispatcher;
  private Thread resultReader;
  private volatile boolean parked;
  private volatile boolean stopping;
  private final AtomicReference<Runnable> onTerminated = new AtomicReference<>();

  ClusterBackend(Cluster.Config config) {
    this.config = config;
  }

  @Override
  public String name() {
    return "cluster";
  }

  @Override
  public Object prepare(TaskBody task, Object argument) {
    try {
      return functions.ship(codec, task, codec.encode(argument));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "task cannot be sent to a node: " + Shippable.explain(codec, task, argument, e), e);
    }
  }

  /**
   * Joins the cluster and waits until every node given has answered.
   *
   * @throws IllegalStateException naming each node that did not answer within the join timeout, and
   *     why where it is known (a refused certificate, another version)
   */
  @Override
  public void start(BackendContext context) {
    this.context = context;
    this.source = context.source();
    this.codec = context.codec();
    this.serverName = context.serverName();
    this.membership = new Membership(LOG, "job server " + serverName);
    dispatcher =
        Thread.ofPlatform()
            .name("parallel4j-cluster-dispatch-" + serverName)
            .daemon()
            .unstarted(this::dispatchLoop);
    resultReader =
        Thread.ofPlatform()
            .name("parallel4j-cluster-results-" + serverName)
            .daemon()
            .start(this::resultLoop);
    try {
      channel = membership.channel(config.security(), config.bind(), 0, config.nodes());
      channel.setReceiver(new Inbox());
      channel.connect(config.cluster());
    } catch (Exception e) {
      stopThreads();
      throw new IllegalStateException(
          serverName + ": cannot join cluster " + config.cluster() + ": " + e.getMessage(), e);
    }
    dispatcher.start();
    greetMembers(channel.getView());
    List<String> missing = awaitNodes();
    if (!missing.isEmpty()) {
      channel.close();
      stopThreads();
      throw new IllegalStateException(
          serverName
              + ": no parallel4j node answered within "
              + config.joinTimeout().toMillis()
              + " ms at "
              + String.join(", ", missing));
    }
  }

  private List<String> awaitNodes() {
    long deadline = System.nanoTime() + config.joinTimeout().toNanos();
    while (true) {
      List<String> missing = new ArrayList<>();
      for (InetSocketAddress a : config.nodes()) {
        String name = Addresses.format(a);
        if (nodes.values().stream().noneMatch(n -> n.name.equals(name))) {
          String why = refusedBy.get(name);
          if (why == null) {
            why = membership.refusals.get(name);
          }
          missing.add(name + (why == null ? "" : " (" + why + ")"));
        }
      }
      if (missing.isEmpty() || System.nanoTime() - deadline > 0) {
        return missing;
      }
      synchronized (nodes) {
        try {
          nodes.wait(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return missing;
        }
      }
    }
  }

  private void stopThreads() {
    resultReader.interrupt();
    if (dispatcher.isAlive()) {
      dispatcher.interrupt();
    }
  }

  @Override
  public void workAvailable() {
    if (parked) {
      LockSupport.unpark(dispatcher);
    }
  }

  private void wakeDispatcher() {
    if (parked) {
      LockSupport.unpark(dispatcher);
    }
  }

  /** Queues {@code action} for the dispatcher thread, which sends in order. */
  private void control(Runnable action) {
    controls.add(action);
    wakeDispatcher();
  }

  @Override
  public int workers() {
    int sum = 0;
    for (NodeLink n : nodes.values()) {
      sum += n.capacity;
    }
    return Math.min(cap, sum);
  }

  /** Uses at most {@code workers} of the cluster's workers at once, spread over its nodes. */
  @Override
  public void setWorkers(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers: " + workers + " (expected: > 0)");
    }
    cap = workers;
    shareWorkers();
  }

  /** Gives each node its share of the cap, the first nodes (by name) first. */
  private synchronized void shareWorkers() {
    List<NodeLink> links = new ArrayList<>(nodes.values());
    links.sort(Comparator.comparing(n -> n.name));
    int left = cap;
    for (NodeLink n : links) {
      int share = Math.min(n.capacity, left);
      left -= share;
      if (share != n.limit) {
        n.limit = share;
        control(() -> n.send(new Wire.Out(Wire.LIMIT, 8).writeInt(share).toByteArray()));
      }
    }
    wakeDispatcher();
  }

  @Override
  public int busy() {
    int busy = 0;
    for (NodeLink n : nodes.values()) {
      busy += Math.min(n.held.size(), n.limit);
    }
    return busy;
  }

  @Override
  public void cancelRunning() {
    for (NodeLink n : nodes.values()) {
      for (WorkItem item : n.held.values()) {
        n.cancel(item, true);
      }
    }
  }

  @Override
  public void shutdown(Runnable onTerminated) {
    if (!this.onTerminated.compareAndSet(null, onTerminated)) {
      return;
    }
    stopping = true;
    wakeDispatcher();
  }

  // ---- dispatching --------------------------------------------------------------------------

  private void dispatchLoop() {
    try {
      while (true) {
        runControls();
        if (stopping && nothingHeld()) {
          break;
        }
        if (fill() == 0) {
          parked = true;
          if (!hasWork()) {
            LockSupport.park(this);
          }
          parked = false;
          if (Thread.interrupted() && !stopping) {
            return;
          }
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.log(System.Logger.Level.ERROR, serverName + ": the cluster dispatcher failed", e);
      context.lost(WorkerLoss.of("the cluster dispatcher failed: " + e));
    }
    terminate();
  }

  private void terminate() {
    runControls();
    channel.close();
    resultReader.interrupt();
    Runnable done = onTerminated.get();
    if (done != null) {
      done.run();
    }
  }

  private boolean nothingHeld() {
    for (NodeLink n : nodes.values()) {
      if (!n.held.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  private boolean hasWork() {
    if (!controls.isEmpty()) {
      return true;
    }
    if (stopping) {
      return nothingHeld();
    }
    if (source.isEmpty()) {
      return false;
    }
    for (NodeLink n : nodes.values()) {
      if (n.room() > 0) {
        return true;
      }
    }
    return false;
  }

  private void runControls() {
    Runnable r;
    while ((r = controls.poll()) != null) {
      r.run();
    }
  }

  /**
   * Takes queued jobs for the nodes and sends them: first one for each free worker anywhere, then
   * each node's pipeline, a share at a time, so that an idle node is never passed over for another
   * node's pipeline.
   */
  private int fill() {
    if (stopping) {
      return 0;
    }
    List<NodeLink> links = new ArrayList<>(nodes.values());
    int[] taken = {0};
    try {
      if (!fillTo(links, true, taken)) {
        fillTo(links, false, taken);
      }
      return taken[0];
    } finally {
      for (NodeLink n : links) {
        n.flush();
      }
    }
  }

  /**
   * Gives each node jobs up to its free workers ({@code workersOnly}) or its window.
   *
   * @return whether the queue ran dry
   */
  private boolean fillTo(List<NodeLink> links, boolean workersOnly, int[] taken) {
    boolean more = !links.isEmpty();
    while (more) {
      more = false;
      for (NodeLink n : links) {
        int quota = Math.min(workersOnly ? n.freeWorkers() : n.room(), 64);
        for (int i = 0; i < quota; i++) {
          WorkItem item = source.poll();
          if (item == null) {
            return true;
          }
          if (n.add(item)) {
            taken[0]++;
          }
          more = true;
        }
      }
    }
    return false;
  }

  // ---- receiving ----------------------------------------------------------------------------

  private final class Inbox implements Receiver {
    @Override
    public void receive(Message msg) {
      Address from = msg.getSrc();
      byte[] buf = msg.getArray();
      int offset = msg.getOffset();
      int length = msg.getLength();
      results.add(() -> handle(from, buf, offset, length));
    }

    @Override
    public void viewAccepted(View view) {
      for (Map.Entry<Address, NodeLink> e : nodes.entrySet()) {
        if (!view.containsMember(e.getKey())) {
          results.add(() -> left(e.getKey(), "node left the cluster or stopped answering"));
        }
      }
      greeted.keySet().removeIf(a -> !view.containsMember(a));
      greetMembers(view);
    }
  }

  private void greetMembers(View view) {
    if (view == null) {
      return;
    }
    Address self = channel.getAddress();
    for (Address a : view.getMembers()) {
      if (!a.equals(self) && greeted.putIfAbsent(a, Boolean.TRUE) == null) {
        control(
            () ->
                send(
                    a,
                    new Wire.Out(Wire.HELLO, 64)
                        .writeString(Version.CURRENT)
                        .writeString(serverName)
                        .writeString(codec.getClass().getName())
                        .toByteArray()));
      }
    }
  }

  private void resultLoop() {
    try {
      while (true) {
        Runnable r = results.take();
        try {
          r.run();
        } catch (RuntimeException | Error e) { // one bad message must not stop every result
          LOG.log(System.Logger.Level.ERROR, serverName + ": handling a message failed", e);
        }
      }
    } catch (InterruptedException e) {
      // stopped
    }
  }

  private void handle(Address from, byte[] buf, int offset, int length) {
    try {
      Wire.In in = new Wire.In(buf, offset, length);
      byte type = in.readByte();
      switch (type) {
        case Wire.WELCOME -> welcome(from, in);
        case Wire.REFUSE -> refused(from, in.readString());
        case Wire.DONE -> done(from, in);
        case Wire.HELLO -> {} // another job server greets us: we are no node
        default -> throw new IOException("unknown message type " + type);
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          serverName + ": a broken message from " + from + " was dropped: " + e,
          e);
    }
  }

  private void welcome(Address from, Wire.In in) throws IOException {
    String version = in.readString();
    int workers = in.readInt();
    String name = in.readString();
    long pid = in.readLong();
    if (!version.equals(Version.CURRENT)) {
      refused(
          from,
          "node " + name + " runs parallel4j " + version + ", this job server " + Version.CURRENT);
      return;
    }
    if (workers < 1) {
      throw new IOException("node " + name + " offers " + workers + " workers");
    }
    NodeLink link = new NodeLink(from, name, workers, pid, context.worker(name));
    NodeLink old = nodes.put(from, link);
    if (old != null) {
      old.lose("the node greeted again");
    }
    LOG.log(
        System.Logger.Level.INFO,
        serverName + ": node " + name + " joined with " + workers + " workers");
    shareWorkers();
    synchronized (nodes) {
      nodes.notifyAll();
    }
  }

  private void refused(Address from, String reason) {
    LOG.log(System.Logger.Level.ERROR, serverName + ": " + reason);
    String name = reason.startsWith("node ") ? reason.substring(5, reason.indexOf(' ', 5)) : null;
    refusedBy.put(name == null ? String.valueOf(from) : name, reason);
  }

  private void left(Address address, String why) {
    NodeLink n = nodes.remove(address);
    if (n != null) {
      LOG.log(
          System.Logger.Level.WARNING,
          serverName
              + ": node "
              + n.name
              + " lost ("
              + why
              + "); "
              + n.held.size()
              + " jobs go back");
      n.lose(why);
      shareWorkers();
    }
  }

  private void done(Address from, Wire.In in) throws IOException {
    NodeLink n = nodes.get(from);
    if (n == null) {
      return; // a node given up for lost: what it reports is dropped
    }
    int started = in.readCount(8);
    for (int i = 0; i < started; i++) {
      long id = in.readLong();
      WorkItem item = n.held.get(id);
      if (item != null) {
        n.started.add(id);
        n.settled(); // before started(): a cancel that waits for this must not block it
        item.started();
      }
    }
    int count = in.readCount(8 + 1 + 8 + 4);
    for (int i = 0; i < count; i++) {
      long id = in.readLong();
      boolean failed = in.readBoolean();
      long runNanos = in.readLong();
      byte[] bytes = in.readBytes();
      WorkItem item = n.held.remove(id);
      n.started.remove(id);
      if (item == null) {
        continue;
      }
      n.settled(); // before the end: ending a job may wait for a cancel that waits for this
      n.observe(runNanos);
      Object value;
      try {
        value = codec.decode(bytes);
      } catch (IOException | RuntimeException | StackOverflowError e) {
        item.fail(
            new IOException(
                (failed ? "the failure" : "the result")
                    + " of job "
                    + id
                    + " from node "
                    + n.name
                    + " cannot be read here: "
                    + e.getMessage(),
                e));
        continue;
      }
      if (failed) {
        item.fail(
            value instanceof Throwable t
                ? t
                : new IOException("node " + n.name + " sent a failure that is no exception"));
      } else {
        item.complete(value);
      }
    }
    n.settled();
    wakeDispatcher();
  }

  private void send(Address to, byte[] bytes) {
    try {
      channel.send(new BytesMessage(to, bytes));
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, serverName + ": cannot send to " + to + ": " + e);
    }
  }

  // ---- nodes --------------------------------------------------------------------------------

  /** A node as this server sees it: one registered worker of the server, with many slots. */
  private final class NodeLink implements JobControl {
    final Address address;
    final String name;
    final int capacity;
    final long pid;
    final WorkerHandle handle;
    final Map<Long, WorkItem> held = new ConcurrentHashMap<>();
    final java.util.Set<Long> started = ConcurrentHashMap.newKeySet();
    private int waiting; // guarded by this: threads in cancel, waiting for the node's answer
    volatile int limit; // set by shareWorkers before the node gets work
    private volatile long meanRunNanos = -1;
    private volatile boolean gone;
    // the dispatcher thread's
    private final IdentityHashMap<Shipment.Function, Integer> slots = new IdentityHashMap<>();
    private Wire.Out batch;
    private int batchCount;

    NodeLink(Address address, String name, int capacity, long pid, WorkerHandle handle) {
      this.address = address;
      this.name = name;
      this.capacity = capacity;
      this.pid = pid;
      this.handle = handle;
    }

    int window() {
      int l = limit;
      if (l == 0 || gone) {
        return 0;
      }
      long mean = meanRunNanos;
      long pipeline = // none until results tell how long jobs run
          mean < 0
              ? 0
              : Math.max(1, Math.min(MAX_PIPELINE, l * PIPELINE_NANOS / Math.max(mean, 1)));
      return (int) (l + pipeline);
    }

    int room() {
      return window() - held.size();
    }

    int freeWorkers() {
      return gone ? 0 : limit - held.size();
    }

    void observe(long runNanos) {
      long m = meanRunNanos;
      meanRunNanos = m < 0 ? runNanos : m - (m >> 3) + (runNanos >> 3);
    }

    /** Adds {@code item} to this node's batch; false when it is not to be sent. */
    boolean add(WorkItem item) {
      Shipment s;
      try {
        s = (Shipment) item.prepared(ClusterBackend.this);
      } catch (IllegalArgumentException e) {
        item.fail(e);
        return false;
      }
      if (!item.assign(handle, this)) {
        return false;
      }
      held.put(item.jobId(), item);
      if (batch == null) {
        batch = new Wire.Out(Wire.JOBS, 4096);
        batchCount = 0;
        batch.writeInt(0); // the count, patched at flush
      }
      batch.writeLong(item.jobId()).writeLong(item.deadlineNanos());
      Shipment.Function f = s.function();
      Integer slot = f.reusable() ? slots.get(f) : null;
      if (slot != null) {
        batch.writeByte(Wire.FUNCTION_SLOT).writeInt(slot);
      } else if (f.reusable() && slots.size() < Node.FUNCTION_SLOTS) {
        int fresh = slots.size();
        slots.put(f, fresh);
        batch.writeByte(Wire.FUNCTION_DEFINE).writeInt(fresh).writeBytes(f.bytes());
      } else {
        batch.writeByte(Wire.FUNCTION_INLINE).writeBytes(f.bytes());
      }
      batch.writeBytes(s.captured()).writeBytes(s.argument());
      batchCount++;
      if (batchCount >= MAX_BATCH_JOBS || batch.size() >= MAX_BATCH_BYTES) {
        flush();
      }
      return true;
    }

    void flush() {
      if (batch == null) {
        return;
      }
      byte[] bytes = batch.toByteArray();
      int n = batchCount;
      bytes[1] = (byte) (n >>> 24); // the count, after the type
      bytes[2] = (byte) (n >>> 16);
      bytes[3] = (byte) (n >>> 8);
      bytes[4] = (byte) n;
      batch = null;
      send(bytes);
    }

    void send(byte[] bytes) {
      ClusterBackend.this.send(address, bytes);
    }

    /** The node is gone: the server takes back what it held. */
    void lose(String why) {
      gone = true;
      held.clear();
      started.clear();
      handle.lost(WorkerLoss.of(why));
      settled();
    }

    /** Wakes threads in {@link #cancel} after jobs started or ended. */
    synchronized void settled() {
      if (waiting > 0) {
        notifyAll();
      }
    }

    /**
     * Tells the node, and waits (at most {@link #CANCEL_ANSWER_MILLIS} ms) until it has answered
     * for a job it had not started: so a cancelled job that waited in the node never runs, as on
     * every other backend. A job known to run is interrupted without waiting.
     */
    @Override
    public void cancel(WorkItem item, boolean interrupt) {
      long id = item.jobId();
      sendCancel(id, interrupt);
      Thread self = Thread.currentThread();
      if (self == resultReader || self == dispatcher) {
        return; // they bring the answer: waiting here would wait for ever
      }
      long deadline = System.nanoTime() + CANCEL_ANSWER_MILLIS * 1_000_000L;
      synchronized (this) {
        waiting++;
        try {
          while (held.containsKey(id) && !started.contains(id) && !gone) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              return;
            }
            wait(Math.max(1, left / 1_000_000));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          waiting--;
        }
      }
    }

    private void sendCancel(long id, boolean interrupt) {
      control(
          () ->
              send(
                  new Wire.Out(Wire.CANCEL, 16)
                      .writeLong(id)
                      .writeBoolean(interrupt)
                      .toByteArray()));
    }

    /** Asks the node to interrupt the job; the node's own engine enforces the deadline too. */
    @Override
    public String stopOverdue(WorkItem item) {
      sendCancel(item.jobId(), true);
      return "node " + name + " was told to interrupt it";
    }
  }
}
