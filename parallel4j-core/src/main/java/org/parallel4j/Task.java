package org.parallel4j;

import java.io.Serializable;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.parallel4j.spi.TaskBody;

/**
 * The shapes a task can take: a function of one argument ({@link Fn}), a computation with none
 * ({@link Call}), or a step with neither argument nor result ({@link Run}).
 *
 * <p>Both are JDK functional interfaces that are also {@link Serializable}, so a lambda or a method
 * reference written once runs on every engine: threads and virtual threads call it in place and
 * never serialize it; worker processes and cluster nodes ship it, with what it captures. Task
 * bodies may throw checked exceptions; the exception becomes the failure of the task's {@link Job}.
 */
public final class Task {
  private Task() {}

  /**
   * A task that maps one argument to a result: Parallel Python's {@code submit(func, args)}.
   *
   * @param <A> the argument type
   * @param <R> the result type
   */
  @FunctionalInterface
  public interface Fn<A, R> extends Function<A, R>, TaskBody {
    /**
     * Runs the task body.
     *
     * @param argument the argument given at submit
     * @return the result
     * @throws Exception whatever the body throws; it fails the job
     */
    R call(A argument) throws Exception;

    /**
     * Runs the body as a plain {@link Function}: unchecked exceptions pass through, checked ones
     * arrive wrapped in a {@link CompletionException}.
     */
    @Override
    default R apply(A argument) {
      try {
        return call(argument);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }

    /** Runs the body for a backend: {@link #call} with the argument given at submit. */
    @Override
    @SuppressWarnings("unchecked")
    default Object invoke(Object argument) throws Exception {
      return call((A) argument);
    }
  }

  /**
   * A task without an argument.
   *
   * @param <R> the result type
   */
  @FunctionalInterface
  public interface Call<R> extends Callable<R>, TaskBody {
    /** Runs the body for a backend: {@link #call}; there is no argument. */
    @Override
    default Object invoke(Object argument) throws Exception {
      return call();
    }
  }

  /**
   * A step with neither argument nor result, such as a worker process's initializer.
   *
   * <p>Its body may throw checked exceptions.
   */
  @FunctionalInterface
  public interface Run extends TaskBody {
    /**
     * Runs the body.
     *
     * @throws Exception whatever the body throws
     */
    void run() throws Exception;

    /** Runs the body for a backend: {@link #run}, and {@code null} as the result. */
    @Override
    default Object invoke(Object argument) throws Exception {
      run();
      return null;
    }
  }
}
