package org.parallel4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The job server's {@link java.util.concurrent.ExecutorService} bulk calls ({@code invokeAll},
 * {@code invokeAny}), its wait for several jobs ({@link JobServer#waitFor}), and the tasks that
 * plain {@link Callable}s and {@link Runnable}s become. Stateless; thread-safe.
 */
final class Invocations {
  private Invocations() {}

  static <T> List<Future<T>> invokeAll(JobServer server, Collection<? extends Callable<T>> tasks)
      throws InterruptedException {
    List<Future<T>> jobs = submitAll(server, tasks);
    try {
      for (Future<T> job : jobs) {
        try {
          job.get();
        } catch (ExecutionException | CancellationException e) {
          // reported by the job itself
        }
      }
      return jobs;
    } catch (InterruptedException e) {
      jobs.forEach(j -> j.cancel(true));
      throw e;
    }
  }

  static <T> List<Future<T>> invokeAll(
      JobServer server, Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException {
    Objects.requireNonNull(unit, "unit");
    List<Future<T>> jobs = submitAll(server, tasks);
    List<CompletableFuture<?>> all = new ArrayList<>();
    jobs.forEach(j -> all.add((CompletableFuture<?>) j));
    try {
      await(all, WaitMode.ALL_COMPLETED, Duration.ofNanos(unit.toNanos(timeout)));
    } finally { // timed out or interrupted: what is not done is cancelled, and the caller told
      jobs.forEach(j -> j.cancel(true));
    }
    return jobs;
  }

  static <T> T invokeAny(
      JobServer server, Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    Objects.requireNonNull(unit, "unit");
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("tasks: [] (expected: at least one)");
    }
    List<Future<T>> jobs = submitAll(server, tasks);
    CompletableFuture<T> first = new CompletableFuture<>();
    AtomicInteger failures = new AtomicInteger();
    for (Future<T> job : jobs) {
      ((CompletableFuture<T>) job)
          .whenComplete(
              (result, error) -> {
                if (error == null) {
                  first.complete(result);
                } else if (failures.incrementAndGet() == jobs.size()) {
                  // wrapped, so that get() reports even a cancelled job as ExecutionException
                  first.completeExceptionally(
                      error instanceof CompletionException
                          ? error
                          : new CompletionException(error));
                }
              });
    }
    try {
      return first.get(timeout, unit);
    } finally {
      jobs.forEach(j -> j.cancel(true));
    }
  }

  /**
   * Submits every task, or none: a {@code null} among them is found before any is submitted, and a
   * submission that fails part way (the server shut down) cancels the jobs submitted before it.
   */
  private static <T> List<Future<T>> submitAll(
      JobServer server, Collection<? extends Callable<T>> tasks) {
    Objects.requireNonNull(tasks, "tasks");
    List<Callable<T>> copy = new ArrayList<>(tasks); // one snapshot, checked and then submitted
    for (Callable<T> task : copy) {
      Objects.requireNonNull(task, "tasks contains null");
    }
    List<Future<T>> jobs = new ArrayList<>(copy.size());
    try {
      for (Callable<T> task : copy) {
        jobs.add(server.submit(task));
      }
    } catch (RuntimeException | Error e) {
      jobs.forEach(j -> j.cancel(true));
      throw e;
    }
    return jobs;
  }

  /** See {@link JobServer#waitFor(Collection, WaitMode, Duration)}. */
  static <J extends CompletableFuture<?>> WaitResult<J> waitFor(
      Collection<J> jobs, WaitMode mode, Duration timeout) {
    try {
      return await(jobs, mode, timeout);
    } catch (InterruptedException e) { // waitFor returns what is done so far, flag kept
      Thread.currentThread().interrupt();
      return split(jobs);
    }
  }

  /** As {@link #waitFor}, but an interrupt of the caller ends the wait with the exception. */
  private static <J extends CompletableFuture<?>> WaitResult<J> await(
      Collection<J> jobs, WaitMode mode, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(jobs, "jobs");
    Objects.requireNonNull(mode, "mode");
    CountDownLatch met = new CountDownLatch(1);
    AtomicInteger pending = new AtomicInteger(jobs.size());
    if (jobs.isEmpty()) {
      met.countDown();
    }
    for (J job : jobs) {
      Objects.requireNonNull(job, "jobs contains null");
      job.whenComplete(
          (r, error) -> {
            boolean last = pending.decrementAndGet() == 0;
            if (last
                || mode == WaitMode.FIRST_COMPLETED
                || (mode == WaitMode.FIRST_EXCEPTION && error != null)) {
              met.countDown();
            }
          });
    }
    if (timeout == null) {
      met.await();
    } else {
      met.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    return split(jobs);
  }

  private static <J extends CompletableFuture<?>> WaitResult<J> split(Collection<J> jobs) {
    List<J> done = new ArrayList<>();
    List<J> notDone = new ArrayList<>();
    for (J job : jobs) {
      (job.isDone() ? done : notDone).add(job);
    }
    return new WaitResult<>(done, notDone);
  }

  /** A plain {@link Callable} as a task. */
  record CallableTask<T>(Callable<T> callable) implements Task.Call<T> {
    private static final long serialVersionUID = 1L;

    @Override
    public T call() throws Exception {
      return callable.call();
    }
  }

  /** A {@link Runnable} and the result to report when it has run. */
  record RunnableTask<T>(Runnable runnable, T result) implements Task.Call<T> {
    private static final long serialVersionUID = 1L;

    @Override
    public T call() {
      runnable.run();
      return result;
    }
  }
}
