package org.parallel4j.cluster;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import org.jgroups.Address;
import org.parallel4j.Job;
import org.parallel4j.codec.LambdaShape;
import org.parallel4j.spi.Codec;
import org.parallel4j.spi.TaskBody;

/** One job server's jobs on a {@link Node}: its function slots, its jobs, and its outbox. */
final class NodeSession {
  final Node node;
  final Address server;
  final String serverName;
  final Codec codec;
  final ShippedCode code;
  private final java.util.concurrent.ExecutorService inbox;
  private volatile org.parallel4j.JobServer engine; // for shipped code on worker processes
  private int engineGeneration; // the inbox thread's: the code's generation the engine has
  final Object[] functions = new Object[Node.FUNCTION_SLOTS];
  final Map<Long, NodeJob> jobs = new ConcurrentHashMap<>();
  final ArrayDeque<NodeJob> pending = new ArrayDeque<>(); // guarded by node
  int limit = Integer.MAX_VALUE; // guarded by node
  int running; // guarded by node
  boolean closed; // guarded by node
  // guarded by the node's outbox
  private List<Long> started = new ArrayList<>();
  private List<Done> done = new ArrayList<>();

  NodeSession(Node node, Address server, String serverName, Codec codec, ShippedCode code) {
    this.node = node;
    this.server = server;
    this.serverName = serverName;
    this.codec = codec;
    this.code = code;
    this.inbox =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            Thread.ofVirtual().name("parallel4j-node-session-" + serverName).factory());
  }

  /** A step that reads a message of this session's server. */
  interface Step {
    void run() throws IOException;
  }

  /**
   * Runs {@code step} after those queued before it, on this session's own thread: jobs, cancels and
   * limits keep their order, and decoding may wait for classes from the server.
   */
  void inOrder(Step step) {
    try {
      inbox.execute(
          () -> {
            try {
              step.run();
            } catch (IOException | RuntimeException e) {
              Node.LOG.log(
                  System.Logger.Level.WARNING,
                  "node "
                      + node.address()
                      + ": a broken message from "
                      + serverName
                      + " was dropped: "
                      + e,
                  e);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // the session closed: its server is gone
    }
  }

  /** The engine for this session's jobs, or null for the node's own. */
  org.parallel4j.JobServer engine() {
    return engine;
  }

  /** After a batch has been read: shipped code the workers lack gets workers that have it. */
  private void refreshEngine() {
    int generation = code.generation();
    if (generation == engineGeneration) {
      return;
    }
    engineGeneration = generation;
    org.parallel4j.JobServer fresh = node.engineWith(code.jars());
    org.parallel4j.JobServer old = engine;
    engine = fresh;
    if (old != null) {
      old.shutdown(); // its running jobs finish
    }
  }

  void jobs(Wire.In in) throws IOException {
    int n = in.readCount(8 + 8 + 1 + 4 + 4);
    List<NodeJob> accepted = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long id = in.readLong();
      long deadline = in.readLong();
      byte kind = in.readByte();
      Object function = null;
      IOException broken = null;
      switch (kind) {
        case Wire.FUNCTION_INLINE -> {
          byte[] bytes = in.readBytes();
          try {
            function = codec.decode(bytes);
          } catch (IOException e) {
            broken = e;
          }
        }
        case Wire.FUNCTION_DEFINE -> {
          int slot = slot(in.readInt());
          byte[] bytes = in.readBytes();
          try {
            function = codec.decode(bytes);
            functions[slot] = function;
          } catch (IOException e) {
            broken = e;
            functions[slot] = e;
          }
        }
        case Wire.FUNCTION_SLOT -> {
          function = functions[slot(in.readInt())];
          if (function instanceof IOException e) {
            broken = e;
          } else if (function == null) {
            throw new IOException("job " + id + " names an empty function slot");
          }
        }
        default -> throw new IOException("unknown function kind " + kind);
      }
      byte[] captured = in.readBytes();
      byte[] argument = in.readBytes();
      NodeJob job = new NodeJob(this, id, deadline);
      try {
        if (broken != null) {
          throw new IOException(
              "its task cannot be read on node " + node.address() + ": " + broken, broken);
        }
        if (captured != null) {
          function = LambdaShape.maker(function).instantiate((Object[]) codec.decode(captured));
        }
        if (!(function instanceof TaskBody body)) {
          throw new IOException("it is a " + function.getClass().getName() + ", not a task");
        }
        job.body = body;
        job.argument = codec.decode(argument);
      } catch (IOException | RuntimeException e) {
        job.error = e;
      }
      accepted.add(job);
    }
    refreshEngine();
    // registered once the whole batch has been read: a broken batch leaves no job behind
    List<NodeJob> failed = new ArrayList<>();
    synchronized (node) {
      for (NodeJob job : accepted) {
        if (closed) {
          continue;
        }
        jobs.put(job.id, job);
        if (job.error != null) {
          failed.add(job);
        } else {
          pending.add(job);
        }
      }
    }
    for (NodeJob job : failed) {
      node.finish(job, null, job.error);
    }
    node.schedule();
  }

  private int slot(int slot) throws IOException {
    if (slot < 0 || slot >= Node.FUNCTION_SLOTS) {
      throw new IOException("function slot " + slot + " is out of range");
    }
    return slot;
  }

  void cancel(long id, boolean interrupt) {
    NodeJob job = jobs.get(id);
    if (job == null) {
      return; // ended already: its outcome is on its way
    }
    boolean wasPending;
    Job<Object> running;
    synchronized (node) {
      wasPending = pending.remove(job);
      running = job.local;
    }
    if (wasPending) {
      node.finish(
          job, null, new CancellationException("job " + id + " was cancelled before it started"));
    } else if (running != null && interrupt) {
      running.cancel(true);
    }
  }

  /** At most {@code n} at once; at least one, so that jobs it already holds still run. */
  void limit(int n) {
    synchronized (node) {
      limit = Math.max(1, n);
    }
    node.schedule();
  }

  /** The server is gone: cancel what runs, drop what waits. */
  void close(String why) {
    List<NodeJob> live;
    synchronized (node) {
      closed = true;
      node.dropped(this);
      pending.clear();
      live = new ArrayList<>(jobs.values());
    }
    int cancelled = 0;
    for (NodeJob job : live) {
      Job<Object> l = job.local;
      if (l != null && l.cancel(true)) {
        cancelled++;
      }
    }
    jobs.clear();
    inbox.shutdownNow();
    code.abandon("the session of " + serverName + " closed");
    org.parallel4j.JobServer e = engine;
    if (e != null) {
      e.shutdownNow();
    }
    try {
      code.close();
    } catch (IOException ignored) {
      // a loader of jars in the cache: nothing to lose
    }
    if (!live.isEmpty()) {
      Node.LOG.log(
          System.Logger.Level.INFO,
          "node "
              + node.address()
              + ": "
              + why
              + "; "
              + cancelled
              + " running jobs cancelled, "
              + (live.size() - cancelled)
              + " waiting ones dropped");
    }
  }

  void started(long id) {
    synchronized (node.outbox) {
      started.add(id);
      node.wake();
    }
  }

  void done(Done d) {
    synchronized (node.outbox) {
      done.add(d);
      node.wake();
    }
  }

  /** What is to be sent: jobs started, and outcomes. */
  record Outgoing(List<Long> started, List<Done> done) {}

  /** Takes what is to be sent, or null. Holds the node's outbox. */
  Outgoing drain() {
    if (started.isEmpty() && done.isEmpty()) {
      return null;
    }
    Outgoing out = new Outgoing(started, done);
    started = new ArrayList<>();
    done = new ArrayList<>();
    return out;
  }

  /** A job as the node holds it. */
  static final class NodeJob {
    final NodeSession session;
    final long id;
    final long deadlineNanos;
    TaskBody body;
    Object argument;
    Throwable error;
    volatile Job<Object> local; // set when it starts
    long startedAt;

    NodeJob(NodeSession session, long id, long deadlineNanos) {
      this.session = session;
      this.id = id;
      this.deadlineNanos = deadlineNanos;
    }
  }

  /** An outcome to send: {@code bytes} is the encoded result, or exception when failed. */
  record Done(long id, boolean failed, long runNanos, byte[] bytes) {}
}
