package org.parallel4j.codec;

import java.io.IOException;
import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.parallel4j.spi.Codec;

/**
 * Says why a job cannot be shipped to a worker process, naming the captured value, field or
 * argument and its type, where plain serialization names only a class.
 */
public final class Shippable {
  private Shippable() {}

  /** A message for a task and argument that {@code codec} could not encode. */
  public static String explain(
      Codec codec, Serializable task, Object argument, IOException failure) {
    if (argument != null && !encodes(codec, argument)) {
      return "its argument, of type " + argument.getClass().getName() + ", is not serializable";
    }
    SerializedLambda lambda = serializedForm(task);
    if (lambda != null) {
      String where =
          "the lambda in "
              + lambda.getCapturingClass().replace('/', '.')
              + " (body "
              + lambda.getImplMethodName()
              + ")";
      for (int i = 0; i < lambda.getCapturedArgCount(); i++) {
        Object captured = lambda.getCapturedArg(i);
        if (captured != null && !encodes(codec, captured)) {
          boolean self =
              captured.getClass().getName().equals(lambda.getCapturingClass().replace('/', '.'));
          return where
              + " captures "
              + (self ? "'this', an instance of " : "value " + i + ", of type ")
              + captured.getClass().getName()
              + ", which is not serializable"
              + (self ? " (use no instance fields or methods in the lambda)" : "");
        }
      }
      return where + " cannot be serialized: " + failure.getMessage();
    }
    for (Class<?> c = task.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        int m = f.getModifiers();
        if (Modifier.isStatic(m) || Modifier.isTransient(m)) {
          continue;
        }
        Object value;
        try {
          f.setAccessible(true);
          value = f.get(task);
        } catch (ReflectiveOperationException | RuntimeException e) {
          continue;
        }
        if (value != null && !encodes(codec, value)) {
          return "field '"
              + f.getName()
              + "' of "
              + c.getName()
              + ", of type "
              + value.getClass().getName()
              + ", is not serializable";
        }
      }
    }
    return failure.getMessage();
  }

  private static boolean encodes(Codec codec, Object value) {
    try {
      codec.encode(value);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The serialized form of a serializable lambda, or null for other objects. */
  static SerializedLambda serializedForm(Object task) {
    Method writeReplace = WRITE_REPLACE.get(task.getClass());
    if (writeReplace == null) {
      return null;
    }
    try {
      return writeReplace.invoke(task) instanceof SerializedLambda s ? s : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** A class's {@code writeReplace} method, made accessible; null when it has none. */
  static Method writeReplace(Class<?> type) {
    return WRITE_REPLACE.get(type);
  }

  private static final ClassValue<Method> WRITE_REPLACE =
      new ClassValue<>() {
        @Override
        protected Method computeValue(Class<?> type) {
          try {
            Method m = type.getDeclaredMethod("writeReplace");
            m.setAccessible(true);
            return m;
          } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
          }
        }
      };
}
