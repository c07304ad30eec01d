package org.parallel4j.examples;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Article section 2.4, the {@code queue} module: a multi-producer, multi-consumer queue in the
 * three orders Python offers (FIFO {@code Queue}, {@code LifoQueue}, {@code PriorityQueue}), with
 * all the locking inside, and a clean shutdown: after {@link #close()}, consumers drain what is
 * left and then get {@link Optional#empty()}, so no poison pill is needed. Thread-safe.
 *
 * @param <T> the element type
 */
public final class ClosableQueue<T> {
  /** The order in which elements leave. */
  public enum Order {
    /** First in, first out: {@code queue.Queue}. */
    FIFO,
    /** Last in, first out: {@code queue.LifoQueue}. */
    LIFO,
    /** Smallest first: {@code queue.PriorityQueue}. */
    PRIORITY
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final Order order;
  private final Queue<T> fifoOrHeap; // guarded by lock
  private final ArrayDeque<T> stack; // guarded by lock
  private boolean closed; // guarded by lock

  private ClosableQueue(Order order, Comparator<? super T> comparator) {
    this.order = order;
    this.stack = order == Order.LIFO ? new ArrayDeque<>() : null;
    this.fifoOrHeap =
        switch (order) {
          case FIFO -> new ArrayDeque<>();
          case LIFO -> null;
          case PRIORITY -> new PriorityQueue<>(comparator);
        };
  }

  /** A queue of the given order; PRIORITY uses the elements' natural order. */
  public static <T extends Comparable<? super T>> ClosableQueue<T> of(Order order) {
    return new ClosableQueue<>(order, Comparator.naturalOrder());
  }

  /** The queue's order. */
  public Order order() {
    return order;
  }

  /**
   * Adds {@code item}.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  public void put(T item) {
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("queue is closed; refused " + item);
      }
      if (stack != null) {
        stack.push(item);
      } else {
        fifoOrHeap.add(item);
      }
      notEmpty.signal();
    } finally {
      lock.unlock();
    }
  }

  /** The next item, waiting for one; empty once the queue is closed and drained. */
  public Optional<T> take() throws InterruptedException {
    lock.lock();
    try {
      while (true) {
        T item = stack != null ? stack.poll() : fifoOrHeap.poll();
        if (item != null) {
          return Optional.of(item);
        }
        if (closed) {
          return Optional.empty();
        }
        notEmpty.await();
      }
    } finally {
      lock.unlock();
    }
  }

  /** No more puts; waiting consumers wake and finish the remaining items. */
  public void close() {
    lock.lock();
    try {
      closed = true;
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
