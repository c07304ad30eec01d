package org.parallel4j.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
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
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.BackendContext;
import org.parallel4j.spi.Codec;
import org.parallel4j.spi.TaskBody;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkSource;
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
 * pipeline of about {@link NodeLink#PIPELINE_NANOS} of work by its jobs' measured mean run time,
 * from 1 to {@link NodeLink#MAX_PIPELINE} jobs (none until the first results): a node finishing a
 * job finds the next one already there, and a slow node is not handed what a fast one could run.
 *
 * <p><b>Encoding.</b> As for worker processes ({@link Shipment}): a function that cannot change is
 * sent to a node once, into a slot, and later jobs name the slot.
 *
 * <p><b>Failure.</b> Each node is one registered worker of the server ({@link
 * org.parallel4j.spi.WorkerHandle}): when the node leaves the view, the server re-runs what it
 * held; results that still come from it are dropped because its handle is gone. Views are handled
 * on the results thread, in order with the messages, so a node's greeting is never taken after the
 * view that dropped it. A node that dropped this server's session (it suspected the server) says so
 * ({@link Wire#AGAIN}): its jobs run elsewhere and the server greets it again.
 */
final class ClusterBackend implements Backend {
  private static final System.Logger LOG = System.getLogger("org.parallel4j.cluster.Cluster");

  /** The most workers a node may offer: more is a broken greeting. */
  static final int MAX_NODE_WORKERS = 1 << 16;

  private final Cluster.Config config;
  private BackendContext context;
  private WorkSource source;
  private Codec codec;
  private String serverName;
  private volatile JChannel channel;
  private Membership membership;
  private final Shipment.Cache functions = new Shipment.Cache();
  private final CodeServer code = new CodeServer();
  private final Map<Address, NodeLink> nodes = new ConcurrentHashMap<>();
  // what each node said of itself when it last welcomed this server, by name: for status
  private final Map<String, NodeStatus> greetings = new ConcurrentHashMap<>();
  private final Map<Address, Boolean> greeted = new ConcurrentHashMap<>(); // the results thread's
  private final Map<String, String> refusedBy = new ConcurrentHashMap<>(); // node name: reason
  private final java.util.Set<Address> refusers = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Runnable> controls = new ConcurrentLinkedQueue<>();
  private final BlockingQueue<Runnable> results = new LinkedBlockingQueue<>();
  private volatile View view; // the latest, as the results thread has handled it
  private volatile int cap = Integer.MAX_VALUE;
  private Thread dispatcher;
  private Thread resultReader;
  private volatile boolean parked;
  private volatile boolean ready; // started: jobs may be taken
  private volatile boolean stopping;
  private volatile long noNodeSince; // the server clock's reading when the last node went; 0: some
  private final AtomicReference<Runnable> onTerminated = new AtomicReference<>();

  ClusterBackend(Cluster.Config config) {
    this.config = config;
  }

  @Override
  public String name() {
    return "cluster";
  }

  /** Says so while no node is reachable: jobs wait (or fail after the configured bound). */
  @Override
  public String status() {
    long since = noNodeSince;
    if (since == 0 || context == null) {
      return null;
    }
    return String.format(
        java.util.Locale.ROOT,
        "no node reachable for %.1f s; jobs %s",
        (context.now() - since) / 1e9,
        config.failWithoutNodesAfter() == null
            ? "wait for one"
            : "fail after " + config.failWithoutNodesAfter().toSeconds() + " s");
  }

  /** Notes that the last node went (or none came): jobs wait, and may fail after the bound. */
  private void noNodes() {
    if (!nodes.isEmpty() || noNodeSince != 0) {
      return;
    }
    noNodeSince = Math.max(1, context.now());
    LOG.log(
        System.Logger.Level.WARNING,
        serverName + ": no node of cluster " + config.cluster() + " is reachable; jobs wait");
    Duration bound = config.failWithoutNodesAfter();
    if (bound != null) {
      try {
        context.schedule(this::wakeDispatcher, bound.toNanos());
      } catch (RuntimeException e) {
        // the server is closing
      }
    }
  }

  /** While no node has been reachable for the bound: fails what is queued, saying why. */
  private int failUnreachable() {
    Duration bound = config.failWithoutNodesAfter();
    long since = noNodeSince;
    if (bound == null || since == 0 || context.now() - since < bound.toNanos()) {
      return 0;
    }
    int failed = 0;
    WorkItem item;
    while (nodes.isEmpty() && (item = source.poll()) != null) {
      item.fail(
          new IllegalStateException(
              serverName
                  + ": no node of cluster "
                  + config.cluster()
                  + " has been reachable for "
                  + bound.toSeconds()
                  + " s (failWithoutNodesAfter)"));
      failed++;
    }
    return failed;
  }

  /** Each node is a row of {@code stats()}, as pp's print_stats lists its ppservers. */
  @Override
  public boolean statsPerWorker() {
    return true;
  }

  @Override
  public Object prepare(TaskBody task, Object argument) {
    code.rememberTask(task); // where a node that lacks its classes gets them
    if (argument != null) {
      code.remember(argument.getClass());
    }
    return functions.prepare(codec, task, argument, "a node");
  }

  /**
   * Joins the cluster and waits until every node given has answered; takes no job before.
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
    dispatcher.start(); // sends the greetings; takes no job until ready
    try {
      channel =
          membership.channel(
              config.security(),
              config.cluster(),
              config.bind(),
              config.port(),
              config.nodes(),
              config.discover(),
              config.dns());
      channel.setReceiver(new Inbox()); // its first view greets the members
      channel.connect(config.cluster());
    } catch (Exception e) {
      stopThreads();
      throw new IllegalStateException(
          serverName + ": cannot join cluster " + config.cluster() + ": " + e.getMessage(), e);
    }
    List<String> missing = config.dynamic() ? awaitFirstNode() : awaitNodes();
    if (!missing.isEmpty()) {
      channel.close();
      stopThreads();
      for (NodeLink n : nodes.values()) {
        n.lose("the cluster backend did not start");
      }
      throw new IllegalStateException(
          serverName
              + ": no parallel4j node answered within "
              + config.joinTimeout().toMillis()
              + " ms at "
              + String.join(", ", missing));
    }
    ready = true;
    results.add(this::noNodes); // on the results thread, after the greetings handled so far
    wakeDispatcher();
  }

  /** Found as they come: waits up to the join timeout for a first node; none is not an error. */
  private List<String> awaitFirstNode() {
    long deadline = System.nanoTime() + config.joinTimeout().toNanos();
    synchronized (nodes) {
      long left;
      while (nodes.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
        try {
          nodes.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    if (nodes.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          serverName
              + ": no node found by "
              + (config.dns() != null ? config.dns() : "multicast")
              + " within "
              + config.joinTimeout().toMillis()
              + " ms; jobs wait for one");
    }
    return List.of();
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
      long left = deadline - System.nanoTime();
      if (missing.isEmpty() || left <= 0) {
        return missing;
      }
      synchronized (nodes) { // welcome notifies; refusals are polled
        try {
          nodes.wait(Math.max(1, Math.min(20, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return missing;
        }
      }
    }
  }

  private void stopThreads() {
    resultReader.interrupt();
    dispatcher.interrupt();
  }

  @Override
  public void workAvailable() {
    wakeDispatcher();
  }

  private void wakeDispatcher() {
    if (parked) {
      LockSupport.unpark(dispatcher);
    }
  }

  /** Queues {@code action} for the dispatcher thread, which sends in order. */
  void control(Runnable action) {
    controls.add(action);
    wakeDispatcher();
  }

  /** Whether {@code t} is one of the threads that bring nodes' answers. */
  boolean bringsAnswers(Thread t) {
    return t == resultReader || t == dispatcher;
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

  /**
   * Gives each node its share of the cap, the first nodes (by name) first. A node whose share drops
   * still runs the jobs it holds (it runs at least one at a time): it only gets no more.
   */
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

  /** One row per node; its pid is on another machine, so the dashboard reads no CPU or memory. */
  @Override
  public List<org.parallel4j.spi.WorkerInfo> workerInfo() {
    List<org.parallel4j.spi.WorkerInfo> rows = new ArrayList<>();
    for (NodeLink n : nodes.values()) {
      rows.add(new org.parallel4j.spi.WorkerInfo(n.name, n.stateName(), -1, n.held.size()));
    }
    rows.sort(java.util.Comparator.comparing(org.parallel4j.spi.WorkerInfo::name));
    return rows;
  }

  @Override
  public int busy() {
    int busy = 0;
    for (NodeLink n : nodes.values()) {
      busy += Math.min(n.held.size(), n.limit);
    }
    return busy;
  }

  /** Cancels every job the nodes hold: all the cancels are sent before any waits for an answer. */
  @Override
  public void cancelRunning() {
    List<WorkItem> items = new ArrayList<>();
    for (NodeLink n : nodes.values()) {
      for (WorkItem item : n.held.values()) {
        n.sendCancel(item.jobId(), true);
        items.add(item);
      }
    }
    for (WorkItem item : items) {
      item.cancel();
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
        if (stopping) {
          reportHeldWhileStopping();
        }
        if (fill() == 0) {
          parked = true;
          if (!hasWork()) {
            LockSupport.park(this);
          }
          parked = false;
          if (Thread.interrupted() && !stopping) {
            return; // the start failed
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

  private long stoppingSince;
  private boolean reportedHeld;

  /** Never a silent hang: a shutdown that waits on nodes says, once, for which jobs and where. */
  private void reportHeldWhileStopping() {
    long now = System.nanoTime();
    if (stoppingSince == 0) {
      stoppingSince = now;
      try {
        context.schedule(this::wakeDispatcher, 10_000_000_000L);
      } catch (RuntimeException e) {
        reportedHeld = true; // the server's timer has stopped: no report, no harm
      }
    } else if (!reportedHeld && now - stoppingSince > 10_000_000_000L) {
      reportedHeld = true;
      StringBuilder held = new StringBuilder();
      for (NodeLink n : nodes.values()) {
        if (!n.held.isEmpty()) {
          held.append(" node ").append(n.name).append(": jobs ").append(n.held.keySet());
          held.append(" (started ").append(n.started).append(");");
        }
      }
      LOG.log(
          System.Logger.Level.WARNING,
          serverName + ": shutting down for 10 s, waiting for nodes to end their jobs:" + held);
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
    if (!ready || source.isEmpty()) {
      return false;
    }
    if (nodes.isEmpty()) {
      Duration bound = config.failWithoutNodesAfter();
      return bound != null && noNodeSince != 0 && context.now() - noNodeSince >= bound.toNanos();
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
    if (stopping || !ready) {
      return 0;
    }
    if (nodes.isEmpty()) {
      return failUnreachable();
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

  /** Sends to a node; one that cannot be sent to is given up, so that its jobs run elsewhere. */
  void send(NodeLink link, byte[] bytes) {
    if (!send(link.address, bytes)) {
      results.add(() -> left(link, "it cannot be sent to"));
    }
  }

  private boolean send(Address to, byte[] bytes) {
    try {
      channel.send(new BytesMessage(to, bytes));
      return true;
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, serverName + ": cannot send to " + to + ": " + e);
      return false;
    }
  }

  // ---- receiving: all on the results thread -------------------------------------------------

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
    public void viewAccepted(View v) {
      results.add(() -> viewChanged(v));
    }
  }

  private void viewChanged(View v) {
    view = v;
    for (NodeLink n : List.copyOf(nodes.values())) {
      if (!v.containsMember(n.address)) {
        left(n, "node left the cluster or stopped answering");
      }
    }
    greeted.keySet().removeIf(a -> !v.containsMember(a));
    Address self = channel.getAddress();
    for (Address a : v.getMembers()) {
      if (!a.equals(self) && greeted.putIfAbsent(a, Boolean.TRUE) == null) {
        greet(a);
      }
    }
  }

  /** How often, and how many times, a member that has not answered is greeted again. */
  static final long GREET_AGAIN_NANOS = 2_000_000_000L;

  static final int GREETINGS = 5;

  private void greet(Address a) {
    greet(a, 1);
  }

  /**
   * Sends HELLO to {@code a}, and greets it again later if it has not answered by then: a node busy
   * starting, say. Members that are no nodes (other job servers) never answer.
   */
  private void greet(Address a, int attempt) {
    if (attempt < GREETINGS && !stopping) {
      try {
        context.schedule(() -> results.add(() -> greetIfSilent(a, attempt + 1)), GREET_AGAIN_NANOS);
      } catch (RuntimeException e) {
        // the server's timer has stopped: the server is closing
      }
    }
    byte[] hello =
        new Wire.Out(Wire.HELLO, 64)
            .writeString(Version.CURRENT)
            .writeString(serverName)
            .writeString(codec.getClass().getName())
            .toByteArray();
    control(() -> send(a, hello));
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
        case Wire.AGAIN -> greetAgain(from);
        case Wire.DRAINING -> {
          NodeLink n = nodes.get(from);
          if (n != null) {
            n.draining();
            LOG.log(System.Logger.Level.INFO, serverName + ": node " + n.name + " is stopping");
          }
        }
        case Wire.BYE -> {
          NodeLink n = nodes.get(from);
          if (n != null) {
            left(n, "the node was stopped; the jobs that waited there run elsewhere");
          }
        }
        case Wire.FETCH -> {
          String className = in.readString();
          Thread.ofVirtual().start(() -> answerSource(from, className)); // may read a jar
        }
        case Wire.FETCH_JAR -> {
          String hash = in.readString();
          CodeServer.Jar jar = code.byHash(hash);
          send(
              from,
              new Wire.Out(Wire.JAR, 128 + (jar == null ? 0 : jar.bytes().length))
                  .writeString(hash)
                  .writeBytes(jar == null ? null : jar.bytes())
                  .toByteArray());
        }
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
    if (!version.equals(Version.CURRENT)) { // before its load: another version may not send it
      refused(
          from,
          "node " + name + " runs parallel4j " + version + ", this job server " + Version.CURRENT);
      return;
    }
    NodeStatus load =
        new NodeStatus(
            name,
            workers,
            pid,
            in.readInt(),
            in.readInt(),
            in.readInt(),
            Duration.ofMillis(in.readLong()));
    if (workers < 1 || workers > MAX_NODE_WORKERS) {
      throw new IOException("node " + name + " offers " + workers + " workers");
    }
    View v = view;
    if (v == null || !v.containsMember(from)) {
      return; // it left after it greeted: the view that dropped it came first
    }
    NodeLink link = new NodeLink(this, from, name, workers, context.worker(name));
    NodeLink old = nodes.put(from, link);
    greetings.put(name, load);
    noNodeSince = 0;
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
    refusers.add(from);
  }

  private void greetIfSilent(Address a, int attempt) {
    View v = view;
    if (!stopping
        && v != null
        && v.containsMember(a)
        && greeted.containsKey(a)
        && !nodes.containsKey(a)
        && !refusers.contains(a)) {
      greet(a, attempt);
    }
  }

  /** Tells a node which jar holds a class it lacks: class shipping. */
  private void answerSource(Address node, String className) {
    String hash = "";
    try {
      CodeServer.Jar jar = code.sourceOf(className);
      hash = jar == null ? "" : jar.hash();
    } catch (IOException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          serverName + ": cannot ship " + className + " to " + node + ": " + e);
    }
    send(
        node,
        new Wire.Out(Wire.SOURCE, 128).writeString(className).writeString(hash).toByteArray());
  }

  /** The node no longer knows this server (it suspected it): start over with it. */
  private void greetAgain(Address from) {
    NodeLink n = nodes.get(from);
    if (n != null) {
      left(n, "the node dropped this job server's session");
    }
    View v = view;
    if (v != null && v.containsMember(from)) {
      greeted.put(from, Boolean.TRUE);
      greet(from);
    }
  }

  private void left(NodeLink n, String why) {
    if (nodes.remove(n.address, n)) {
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
      noNodes();
    }
  }

  private void done(Address from, Wire.In in) throws IOException {
    NodeLink n = nodes.get(from);
    if (n == null) {
      return; // a node given up for lost: what it reports is dropped
    }
    int started = in.readCount(8);
    for (int i = 0; i < started; i++) {
      WorkItem item = n.markStarted(in.readLong());
      if (item != null) {
        item.started();
      }
    }
    int count = in.readCount(8 + 1 + 8 + 4);
    for (int i = 0; i < count; i++) {
      long id = in.readLong();
      boolean failed = in.readBoolean();
      long runNanos = in.readLong();
      byte[] bytes = in.readBytes();
      WorkItem item = n.markEnded(id);
      if (item != null) {
        n.observe(runNanos);
        end(n, item, failed, bytes);
      }
    }
    wakeDispatcher();
  }

  /** Ends {@code item} with what its node sent; what cannot be read fails the job alone. */
  private void end(NodeLink n, WorkItem item, boolean failed, byte[] bytes) {
    Object value;
    try {
      value = codec.decode(bytes);
    } catch (IOException | RuntimeException | StackOverflowError e) {
      item.fail(
          new IOException(
              (failed ? "the failure" : "the result")
                  + " of job "
                  + item.jobId()
                  + " from node "
                  + n.name
                  + " cannot be read here: "
                  + e,
              e));
      return;
    }
    if (!failed) {
      item.complete(value);
    } else if (value instanceof Throwable t) {
      item.fail(t);
    } else {
      item.fail(new IOException("node " + n.name + " sent a failure that is no exception"));
    }
  }

  /** Whether nodes are found as they come (multicast, DNS). */
  boolean dynamic() {
    return config.dynamic();
  }

  /** The nodes this server holds now, each as it described itself when it welcomed this server. */
  List<NodeStatus> nodeStatuses() {
    List<NodeStatus> out = new ArrayList<>();
    for (NodeLink n : nodes.values()) {
      NodeStatus g = greetings.get(n.name);
      if (g != null) {
        out.add(g);
      }
    }
    out.sort(java.util.Comparator.comparing(NodeStatus::address));
    return out;
  }
}
