package org.parallel4j.cluster;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jgroups.Address;
import org.parallel4j.codec.Shipment;
import org.parallel4j.spi.JobControl;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkerHandle;
import org.parallel4j.spi.WorkerLoss;

/**
 * A node as a job server's {@link ClusterBackend} sees it: one registered worker of the server
 * ({@link WorkerHandle}) with {@link #capacity} slots, the jobs it holds, and the batch of jobs
 * being encoded for it. The dispatcher thread adds and flushes; the results thread marks jobs
 * started and ended; any thread cancels.
 */
final class NodeLink implements JobControl {
  static final long PIPELINE_NANOS = 2_000_000;
  static final int MAX_PIPELINE = 4096;
  static final long CANCEL_ANSWER_MILLIS = 2000;
  private static final int MAX_BATCH_JOBS = 2048;
  private static final int MAX_BATCH_BYTES = 1 << 20;

  final Address address;
  final String name;
  final int capacity;
  final WorkerHandle handle;
  private final ClusterBackend owner;
  final Map<Long, WorkItem> held = new ConcurrentHashMap<>();
  final Set<Long> started = ConcurrentHashMap.newKeySet();
  private int waiting; // guarded by this: threads in cancel, waiting for the node's answer
  volatile int limit; // set by the owner's shareWorkers before the node gets work
  private volatile long meanRunNanos = -1;
  private volatile boolean gone;
  private volatile boolean draining; // the node is stopping: it gets nothing more
  // the dispatcher thread's
  private final IdentityHashMap<Shipment.Function, Integer> slots = new IdentityHashMap<>();
  private Wire.Out batch;
  private int batchCount;

  NodeLink(ClusterBackend owner, Address address, String name, int capacity, WorkerHandle handle) {
    this.owner = owner;
    this.address = address;
    this.name = name;
    this.capacity = capacity;
    this.handle = handle;
  }

  /**
   * The most jobs the node may hold: its share of the workers, plus a pipeline of about {@link
   * #PIPELINE_NANOS} of work by the mean run time (none until results tell it), at most {@link
   * #MAX_PIPELINE}.
   */
  int window() {
    int l = limit;
    if (l == 0 || gone || draining) {
      return 0;
    }
    long mean = meanRunNanos;
    long pipeline =
        mean < 0 ? 0 : Math.max(1, Math.min(MAX_PIPELINE, l * PIPELINE_NANOS / Math.max(mean, 1)));
    return (int) (l + pipeline);
  }

  int room() {
    return window() - held.size();
  }

  int freeWorkers() {
    return gone || draining ? 0 : limit - held.size();
  }

  void observe(long runNanos) {
    long m = meanRunNanos;
    meanRunNanos = m < 0 ? runNanos : m - (m >> 3) + (runNanos >> 3);
  }

  /** Adds {@code item} to this node's batch; false when it is not to be sent. */
  boolean add(WorkItem item) {
    Shipment s;
    try {
      s = (Shipment) item.prepared(owner);
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

  /** Sends the batch; a node that cannot be sent to is given up, so its jobs run elsewhere. */
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
    owner.send(this, bytes);
  }

  /** Its state in a word, for the dashboard. */
  String stateName() {
    return gone ? "gone" : draining ? "draining" : held.isEmpty() ? "idle" : "busy";
  }

  /** The node is stopping: it gets no more jobs, and runs those it has. */
  void draining() {
    draining = true;
  }

  /** The node is gone: the server takes back what it held. */
  void lose(String why) {
    gone = true;
    held.clear();
    started.clear();
    handle.lost(WorkerLoss.of(why));
    settled();
  }

  /** The node reported {@code id} started; false when this link no longer holds it. */
  WorkItem markStarted(long id) {
    WorkItem item = held.get(id);
    if (item != null) {
      started.add(id);
      settled(); // before the item hears of it: a cancel that waits for this must not block it
    }
    return item;
  }

  /** The node reported {@code id} ended; its item, or null when this link no longer holds it. */
  WorkItem markEnded(long id) {
    WorkItem item = held.remove(id);
    started.remove(id);
    if (item != null) {
      settled(); // before the end: ending a job may wait for a cancel that waits for this
    }
    return item;
  }

  /** Wakes threads in {@link #cancel} after jobs started or ended. */
  private synchronized void settled() {
    if (waiting > 0) {
      notifyAll();
    }
  }

  /**
   * Tells the node, and waits (at most {@link #CANCEL_ANSWER_MILLIS} ms) until it has answered for
   * a job it had not started: so a cancelled job that waited in the node never runs, as on every
   * other backend. A job known to run is interrupted without waiting.
   */
  @Override
  public void cancel(WorkItem item, boolean interrupt) {
    long id = item.jobId();
    sendCancel(id, interrupt);
    if (owner.bringsAnswers(Thread.currentThread())) {
      return; // this thread brings the answer: waiting here would wait for ever
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

  void sendCancel(long id, boolean interrupt) {
    owner.control(
        () ->
            send(
                new Wire.Out(Wire.CANCEL, 16).writeLong(id).writeBoolean(interrupt).toByteArray()));
  }

  /** Asks the node to interrupt the job; the node's own engine enforces the deadline too. */
  @Override
  public String stopOverdue(WorkItem item) {
    sendCancel(item.jobId(), true);
    return "node " + name + " was told to interrupt it";
  }
}
