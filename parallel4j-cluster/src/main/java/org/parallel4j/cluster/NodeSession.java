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
  final Object[] functions = new Object[Node.FUNCTION_SLOTS];
  final Map<Long, NodeJob> jobs = new ConcurrentHashMap<>();
  final ArrayDeque<NodeJob> pending = new ArrayDeque<>(); // guarded by node
  int limit = Integer.MAX_VALUE; // guarded by node
  int running; // guarded by node
  boolean closed; // guarded by node
  // guarded by the node's outbox
  private List<Long> started = new ArrayList<>();
  private List<Done> done = new ArrayList<>();

  NodeSession(Node node, Address server, String serverName, Codec codec) {
    this.node = node;
    this.server = server;
    this.serverName = serverName;
    this.codec = codec;
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
