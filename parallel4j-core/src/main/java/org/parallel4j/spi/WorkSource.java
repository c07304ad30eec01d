package org.parallel4j.spi;

import java.util.concurrent.TimeUnit;

/**
 * The job server's queue as one backend sees it. Backends pull: each takes work when it has a free
 * worker, so a fast backend takes more and a new one gets work at once. Items taken from a source
 * are accounted to that source's backend. Thread-safe.
 */
public interface WorkSource {
  /** The next item, or {@code null} when none is queued. */
  WorkItem poll();

  /** The next item, waiting for one. */
  WorkItem take() throws InterruptedException;

  /** The next item, waiting at most the given time; {@code null} when none came. */
  WorkItem poll(long timeout, TimeUnit unit) throws InterruptedException;

  /** Whether no item is queued now. */
  boolean isEmpty();
}
