package org.parallel4j.codec;

import java.io.IOException;
import java.io.Serializable;
import java.lang.reflect.RecordComponent;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.parallel4j.spi.Codec;
import org.parallel4j.spi.TaskBody;

/**
 * A job encoded at submit: its function and its argument, apart, so that a function used by many
 * jobs is encoded once and sent to each worker once (after that a task is a slot number and its
 * argument). A lambda whose class has a {@link LambdaShape} is sent once per class, and each job
 * carries the values its instance captured.
 *
 * @param function the encoded function
 * @param captured the encoded values the job's lambda captured, to make it anew from {@code
 *     function}'s class in the worker; null when {@code function} is the job's function itself
 * @param argument the encoded argument ({@code null} encoded for a task without one)
 */
public record Shipment(Function function, byte[] captured, byte[] argument) {

  /**
   * The largest payload this job puts in one frame, in bytes: the task (captured values and
   * argument, with the function when it travels inline), or a reusable function defined apart.
   */
  public long size() {
    long task = (captured == null ? 0 : captured.length) + (long) argument.length;
    return function.reusable()
        ? Math.max(task, function.bytes().length)
        : task + function.bytes().length;
  }

  /**
   * An encoded function. {@code reusable} when the function holds nothing that can change after
   * submit (it captures nothing, or only strings, boxed values, enums and other such functions), so
   * that its bytes may stand for it in later jobs; otherwise its current state is encoded for each
   * job, as a thread would see it when the job runs.
   */
  public record Function(byte[] bytes, boolean reusable) {}

  /**
   * Encoded functions kept by identity, so that submitting the same function again costs no
   * encoding. A small direct-mapped table: a collision only costs an encoding. Thread-safe.
   */
  public static final class Cache {
    private static final int SIZE = 256;
    private final AtomicReferenceArray<Entry> entries = new AtomicReferenceArray<>(SIZE);
    // a lambda class's first instance, encoded whole: the workers make the others from it
    private final java.util.concurrent.ConcurrentHashMap<LambdaShape, Function> shapes =
        new java.util.concurrent.ConcurrentHashMap<>();

    private record Entry(Object function, Function encoded) {}

    /**
     * A job's function and the values it captured: for a lambda whose class has a shape and
     * captures something, its class's first instance (encoded once) and its own captured values;
     * otherwise {@link #encode} and no captured values.
     */
    public Shipment ship(Codec codec, Serializable function, byte[] argument) throws IOException {
      LambdaShape shape = LambdaShape.of(function);
      if (shape == null || shape.capturedCount() == 0) {
        return new Shipment(encode(codec, function), null, argument);
      }
      byte[] captured = codec.encode(shape.captured(function)); // fails first if they cannot go
      Function first = shapes.get(shape);
      if (first == null) {
        first = new Function(codec.encode(function), true);
        Function raced = shapes.putIfAbsent(shape, first);
        first = raced == null ? first : raced;
      }
      return new Shipment(first, captured, argument);
    }

    /**
     * A job as a backend that ships it prepares it ({@code Backend.prepare}): {@link #ship} of its
     * task and encoded argument.
     *
     * @param destination where it goes, for the message: {@code a worker process}, {@code a node}
     * @throws IllegalArgumentException naming what cannot be encoded
     */
    public Shipment prepare(Codec codec, TaskBody task, Object argument, String destination) {
      try {
        return ship(codec, task, codec.encode(argument));
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "task cannot be sent to "
                + destination
                + ": "
                + Shippable.explain(codec, task, argument, e),
            e);
      }
    }

    /** The encoding of {@code function}, from the table when it was seen before. */
    Function encode(Codec codec, Serializable function) throws IOException {
      int i = System.identityHashCode(function) & (SIZE - 1);
      Entry e = entries.get(i);
      if (e != null && e.function == function) {
        return e.encoded;
      }
      Function encoded = new Function(codec.encode(function), Shipment.isImmutable(function));
      if (encoded.reusable()) {
        entries.set(i, new Entry(function, encoded));
      }
      return encoded;
    }
  }

  /**
   * Whether {@code value} cannot change: null, strings, boxed values, enums, classes, lambdas that
   * capture only such values, and records whose components are all such values.
   */
  static boolean isImmutable(Object value) {
    return isImmutable(value, 0);
  }

  private static boolean isImmutable(Object value, int depth) {
    if (value == null
        || value instanceof String
        || value instanceof Number && value.getClass().getName().startsWith("java.lang.")
        || value instanceof Boolean
        || value instanceof Character
        || value instanceof Enum<?>
        || value instanceof Class<?>) {
      return true;
    }
    if (depth > 4) {
      return false;
    }
    java.lang.invoke.SerializedLambda lambda = Shippable.serializedForm(value);
    if (lambda != null) {
      for (int i = 0; i < lambda.getCapturedArgCount(); i++) {
        if (!isImmutable(lambda.getCapturedArg(i), depth + 1)) {
          return false;
        }
      }
      return true;
    }
    if (value instanceof Record) {
      for (RecordComponent c : value.getClass().getRecordComponents()) {
        try {
          java.lang.reflect.Method accessor = c.getAccessor();
          accessor.setAccessible(true);
          if (!isImmutable(accessor.invoke(value), depth + 1)) {
            return false;
          }
        } catch (ReflectiveOperationException | RuntimeException e) {
          return false;
        }
      }
      return true;
    }
    return false;
  }
}
