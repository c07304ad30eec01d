package org.parallel4j;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.WorkItem;
import org.parallel4j.spi.WorkSource;

/**
 * The job server's queue as seen by one backend: items taken here are bound to the backend, whose
 * job count and busy time are kept here for {@link JobServer#stats()}.
 */
final class Lane implements WorkSource {
  private final JobServer server;
  private final Backend backend;
  private final String backendName;
  private final LongAdder jobs = new LongAdder();
  private final LongAdder nanos = new LongAdder();

  Lane(JobServer server, Backend backend) {
    this.server = server;
    this.backend = backend;
    this.backendName = backend.name();
  }

  JobServer server() {
    return server;
  }

  Backend backend() {
    return backend;
  }

  String backendName() {
    return backendName;
  }

  long now() {
    return server.ticker().read();
  }

  private Work bind(Work w) {
    if (w != null) {
      w.lane = this;
    }
    return w;
  }

  @Override
  public WorkItem poll() {
    return bind(server.queue().poll());
  }

  @Override
  public WorkItem take() throws InterruptedException {
    return bind(server.queue().take());
  }

  @Override
  public WorkItem poll(long timeout, TimeUnit unit) throws InterruptedException {
    return bind(server.queue().poll(timeout, unit));
  }

  @Override
  public boolean isEmpty() {
    return server.queue().isEmpty();
  }

  /**
   * The body has returned: account its time to this backend, before the job completes, so that
   * whoever sees the job complete sees it counted.
   */
  void ended(Work w, long now) {
    w.job().ended(now);
    jobs.increment();
    nanos.add(now - w.job().startedAt());
  }

  /** The job has completed and its callbacks have run. */
  void retired(Work w) {
    server.retire();
  }

  /** The job was cancelled while queued: a backend took it and dropped it. */
  void dropped(Work w) {
    server.dropped();
    server.retire();
  }

  /** Offers a new job to this backend directly; true if it took it. */
  boolean offer(Work w) {
    w.lane = this;
    if (backend.offer(w)) {
      return true;
    }
    w.lane = null;
    return false;
  }

  long jobs() {
    return jobs.sum();
  }

  long nanos() {
    return nanos.sum();
  }
}
