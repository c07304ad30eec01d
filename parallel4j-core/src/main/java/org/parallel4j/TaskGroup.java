package org.parallel4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;

/**
 * Structured concurrency: subtasks forked in a scope, joined together, never outliving it. The
 * article's {@code _thread} example done right: instead of sleeping long enough and hoping, the
 * main thread {@linkplain #join() joins} its subtasks.
 *
 * {@snippet lang = java :
 * try (TaskGroup<String> group = TaskGroup.open()) {
 *   CompletableFuture<String> a = group.fork(() -> loop("loop 1", 4));
 *   CompletableFuture<String> b = group.fork(() -> loop("loop 2", 2));
 *   group.join();                 // both done, or the first failure thrown
 *   System.out.println(a.join() + b.join());
 * }
 * }
 *
 * <p>Each subtask runs on a thread of its own from the group's factory (virtual threads by
 * default). {@link #join()} waits for all; the first subtask to fail cancels the others, which are
 * interrupted, and once every thread has ended {@code join} throws an {@link ExecutionException}
 * with that failure as its cause and later failures suppressed. {@link #close()} cancels what is
 * still running and waits for every thread to end, so no subtask survives the scope.
 *
 * <p>Thread-safe: subtasks may fork further subtasks into their own group. Memory consistency
 * effects: actions of a subtask happen-before {@code join} returns.
 *
 * @param <T> the subtasks' result type
 */
public final class TaskGroup<T> implements AutoCloseable {
  private final ThreadFactory threads;
  private final List<Subtask> subtasks = new ArrayList<>(); // guarded by this
  private final List<Throwable> failures = new ArrayList<>(); // guarded by this
  private boolean cancelled; // guarded by this
  private boolean closed; // guarded by this

  private TaskGroup(ThreadFactory threads) {
    this.threads = threads;
  }

  /** A group whose subtasks run on virtual threads. */
  public static <T> TaskGroup<T> open() {
    return open(Thread.ofVirtual().name("parallel4j-subtask-", 1).factory());
  }

  /** A group whose subtasks run on threads made by {@code threads}. */
  public static <T> TaskGroup<T> open(ThreadFactory threads) {
    return new TaskGroup<>(Objects.requireNonNull(threads, "threads"));
  }

  /**
   * Starts {@code task} on a thread of its own.
   *
   * @return the subtask's result, completed when it ends
   * @throws IllegalStateException after {@link #close()}
   */
  public CompletableFuture<T> fork(Task.Call<? extends T> task) {
    Objects.requireNonNull(task, "task");
    Subtask s = new Subtask(task);
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("task group is closed (subtasks=" + subtasks.size() + ")");
      }
      s.thread = threads.newThread(s);
      if (s.thread == null) {
        throw new IllegalStateException(
            "thread factory returned null for subtask " + subtasks.size());
      }
      subtasks.add(s);
      if (cancelled) {
        s.result.cancel(false);
        return s.result;
      }
    }
    s.thread.start();
    return s.result;
  }

  /**
   * Waits for every subtask to end.
   *
   * @return the results in fork order
   * @throws ExecutionException caused by the first failure, later ones suppressed
   * @throws InterruptedException if interrupted: the subtasks are cancelled first
   */
  public List<T> join() throws ExecutionException, InterruptedException {
    try {
      awaitThreads();
    } catch (InterruptedException e) {
      cancelAll();
      throw e;
    }
    List<T> results = new ArrayList<>();
    synchronized (this) {
      if (!failures.isEmpty()) {
        ExecutionException e = new ExecutionException(failures.get(0));
        for (Throwable other : failures.subList(1, failures.size())) {
          e.addSuppressed(other);
        }
        throw e;
      }
      for (Subtask s : subtasks) {
        results.add(s.result.getNow(null));
      }
    }
    return results;
  }

  /** Cancels, with interruption, every subtask still running. */
  public void cancelAll() {
    List<Subtask> toCancel;
    synchronized (this) {
      cancelled = true;
      toCancel = List.copyOf(subtasks);
    }
    for (Subtask s : toCancel) {
      if (s.result.cancel(false)) {
        s.thread.interrupt();
      }
    }
  }

  /** Cancels what still runs and waits, uninterruptibly, until every subtask's thread ends. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    cancelAll();
    boolean interrupted = false;
    while (true) {
      try {
        awaitThreads();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void awaitThreads() throws InterruptedException {
    for (int i = 0; ; i++) {
      Subtask s;
      synchronized (this) {
        if (i >= subtasks.size()) {
          return;
        }
        s = subtasks.get(i);
      }
      if (s.thread.getState() != Thread.State.NEW) {
        s.thread.join();
      }
    }
  }

  private void failed(Throwable error) {
    synchronized (this) {
      failures.add(error);
    }
    cancelAll();
  }

  private final class Subtask implements Runnable {
    final Task.Call<? extends T> task;
    final CompletableFuture<T> result = new CompletableFuture<>();
    Thread thread;

    Subtask(Task.Call<? extends T> task) {
      this.task = task;
    }

    @Override
    public void run() {
      if (result.isDone()) {
        return;
      }
      T value;
      try {
        value = task.call();
      } catch (Throwable t) {
        if (!(result.isCancelled()
            && (t instanceof InterruptedException || t instanceof CancellationException))) {
          result.completeExceptionally(Job.asTaskFailure(t));
          failed(t);
        }
        return;
      }
      result.complete(value);
    }
  }
}
