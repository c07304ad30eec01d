package org.parallel4j.codec;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A serializable lambda's class apart from what its instances capture, so that a job sends only the
 * values its lambda captured: the lambda itself goes to each worker once, as a function that
 * captures nothing does. A lambda written in a loop ({@code i -> x + i} with a new {@code x} each
 * time) is a new instance per submit; encoded whole it cost 0.6 µs to encode, 0.7 µs to decode and
 * 190 bytes per job here, most of it the names in its serialized form.
 *
 * <p>Built on how the JDK makes a lambda's class: one final field per captured value, named {@code
 * arg$1}, {@code arg$2}, ..., and a constructor taking them in that order. That is checked on the
 * first instance of each class (its captured values as its serialized form gives them, and a copy
 * made from them that serializes the same); where it does not hold, or the lambda's package is not
 * open to this library (a named module), the class has no shape and its lambdas are encoded whole.
 * A worker runs the same JDK, so it builds the same shape from the lambda it was sent.
 */
public final class LambdaShape {
  private static final Object NONE = new Object();
  private static final MethodType GETTER = MethodType.methodType(Object.class, Object.class);

  private static final ClassValue<Checked> SHAPES =
      new ClassValue<>() {
        @Override
        protected Checked computeValue(Class<?> type) {
          return new Checked();
        }
      };

  private static final ClassValue<Object> BUILT =
      new ClassValue<>() {
        @Override
        protected Object computeValue(Class<?> type) {
          try {
            return build(type);
          } catch (ReflectiveOperationException | RuntimeException e) {
            return NONE;
          }
        }
      };

  private static final ClassValue<Object> MAKERS =
      new ClassValue<>() {
        @Override
        protected Object computeValue(Class<?> type) {
          try {
            return new Maker(type, constructor(type, fields(type)));
          } catch (ReflectiveOperationException | RuntimeException e) {
            return NONE;
          }
        }
      };

  /** A class's shape once its first instance was checked: NONE, or the shape. */
  private static final class Checked {
    volatile Object shape; // null until checked
  }

  private final MethodHandle construct; // (Object[]) Object
  private final MethodHandle[] getters; // (Object) Object each

  private LambdaShape(MethodHandle construct, MethodHandle[] getters) {
    this.construct = construct;
    this.getters = getters;
  }

  /**
   * The shape of {@code function}'s class, checked on its first instance; null when it has none
   * (not a serializable lambda, or not made as expected).
   */
  static LambdaShape of(Object function) {
    Checked checked = SHAPES.get(function.getClass());
    Object shape = checked.shape;
    if (shape == null) {
      shape = check(function);
      checked.shape = shape; // two threads may both check: they reach the same answer
    }
    return shape instanceof LambdaShape s ? s : null;
  }

  /**
   * In a worker: what makes instances of the class of {@code template}, a lambda the server sent
   * whole after checking its class there.
   *
   * @throws IllegalStateException if the class cannot be made here
   */
  public static Maker maker(Object template) {
    if (MAKERS.get(template.getClass()) instanceof Maker m) {
      return m;
    }
    throw new IllegalStateException(
        "the lambda class " + template.getClass().getName() + " cannot be rebuilt in this worker");
  }

  /**
   * Makes a lambda class's instances in a worker: through core reflection at first (a worker's
   * reflection is native, so a fresh worker spins no method handles for its first tasks: building
   * the shape costs 25 ms cold here), through the shape's method handles once {@value #SWITCH}
   * instances were made (160 ns an instance against 7).
   */
  public static final class Maker {
    static final int SWITCH = 100_000;

    private final Class<?> type;
    private final java.lang.reflect.Constructor<?> constructor;
    private int made; // by the worker's task thread, one task at a time
    private volatile LambdaShape shape;

    private Maker(Class<?> type, java.lang.reflect.Constructor<?> constructor) {
      this.type = type;
      this.constructor = constructor;
    }

    /** A new instance that captured {@code values}. */
    public Object instantiate(Object[] values) {
      LambdaShape s = shape;
      if (s != null) {
        return s.instantiate(values);
      }
      if (++made >= SWITCH && BUILT.get(type) instanceof LambdaShape built) {
        shape = built;
      }
      try {
        return constructor.newInstance(values);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot make a lambda from its captured values", e);
      }
    }
  }

  /** How many values an instance captures. */
  int capturedCount() {
    return getters.length;
  }

  /** The values {@code function} captured, in order, primitives boxed. */
  Object[] captured(Object function) {
    Object[] values = new Object[getters.length];
    try {
      for (int i = 0; i < values.length; i++) {
        values[i] = (Object) getters[i].invokeExact(function);
      }
    } catch (Throwable e) {
      throw new IllegalStateException("cannot read what " + function.getClass() + " captured", e);
    }
    return values;
  }

  /** A new instance that captured {@code values}. */
  Object instantiate(Object[] values) {
    if (values.length != getters.length) {
      throw new IllegalArgumentException(
          getters.length + " captured values expected, " + values.length + " given");
    }
    try {
      return (Object) construct.invokeExact(values);
    } catch (RuntimeException e) {
      throw e; // a value of the wrong type
    } catch (Throwable e) {
      throw new IllegalStateException("cannot make a lambda from its captured values", e);
    }
  }

  private static Object check(Object function) {
    SerializedLambda form = Shippable.serializedForm(function);
    if (form == null) {
      return NONE;
    }
    Object built = BUILT.get(function.getClass());
    if (!(built instanceof LambdaShape shape)) {
      return NONE;
    }
    try {
      Object[] values = shape.captured(function);
      SerializedLambda copy = Shippable.serializedForm(shape.instantiate(values));
      return sameCaptures(values, form) && copy != null && same(form, copy) ? shape : NONE;
    } catch (RuntimeException e) {
      return NONE;
    }
  }

  private static LambdaShape build(Class<?> type) throws ReflectiveOperationException {
    List<Field> fields = fields(type);
    MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(type, MethodHandles.lookup());
    MethodHandle[] getters = new MethodHandle[fields.size()];
    for (int i = 0; i < getters.length; i++) {
      getters[i] = lookup.unreflectGetter(fields.get(i)).asType(GETTER);
    }
    MethodHandle constructor = lookup.unreflectConstructor(constructor(type, fields));
    MethodHandle construct =
        constructor.asType(constructor.type().generic()).asSpreader(Object[].class, getters.length);
    return new LambdaShape(construct, getters);
  }

  /** A lambda class's captured-value fields, {@code arg$1} to {@code arg$n}, in order. */
  private static List<Field> fields(Class<?> type) throws NoSuchFieldException {
    if (!type.isSynthetic() && !type.isHidden()) {
      throw new NoSuchFieldException(type + " is not a lambda's class");
    }
    List<Field> fields = new ArrayList<>();
    for (Field f : type.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers())) {
        if (!f.getName().matches("arg\\$[0-9]+")) {
          throw new NoSuchFieldException(type + " has a field " + f.getName());
        }
        fields.add(f);
      }
    }
    fields.sort(Comparator.comparingInt(f -> Integer.parseInt(f.getName().substring(4))));
    for (int i = 0; i < fields.size(); i++) {
      if (!fields.get(i).getName().equals("arg$" + (i + 1))) {
        throw new NoSuchFieldException(type + " lacks arg$" + (i + 1));
      }
    }
    return fields;
  }

  /** The constructor that takes {@code fields}' values in order, made accessible. */
  private static java.lang.reflect.Constructor<?> constructor(Class<?> type, List<Field> fields)
      throws NoSuchMethodException {
    Class<?>[] types = new Class<?>[fields.size()];
    for (int i = 0; i < types.length; i++) {
      types[i] = fields.get(i).getType();
    }
    java.lang.reflect.Constructor<?> c = type.getDeclaredConstructor(types);
    c.setAccessible(true);
    return c;
  }

  private static boolean sameCaptures(Object[] values, SerializedLambda form) {
    if (values.length != form.getCapturedArgCount()) {
      return false;
    }
    for (int i = 0; i < values.length; i++) {
      if (!sameValue(values[i], form.getCapturedArg(i))) {
        return false;
      }
    }
    return true;
  }

  /** The same object, or equal boxes of one primitive value (a serialized form boxes them). */
  private static boolean sameValue(Object a, Object b) {
    return a == b
        || a != null
            && b != null
            && a.getClass() == b.getClass()
            && (a instanceof Number || a instanceof Boolean || a instanceof Character)
            && a.getClass().getName().startsWith("java.lang.")
            && a.equals(b);
  }

  private static boolean same(SerializedLambda a, SerializedLambda b) {
    return a.getCapturingClass().equals(b.getCapturingClass())
        && a.getFunctionalInterfaceClass().equals(b.getFunctionalInterfaceClass())
        && a.getFunctionalInterfaceMethodName().equals(b.getFunctionalInterfaceMethodName())
        && a.getFunctionalInterfaceMethodSignature()
            .equals(b.getFunctionalInterfaceMethodSignature())
        && a.getImplMethodKind() == b.getImplMethodKind()
        && a.getImplClass().equals(b.getImplClass())
        && a.getImplMethodName().equals(b.getImplMethodName())
        && a.getImplMethodSignature().equals(b.getImplMethodSignature())
        && Objects.equals(a.getInstantiatedMethodType(), b.getInstantiatedMethodType())
        && sameCaptures(capturedOf(b), a);
  }

  private static Object[] capturedOf(SerializedLambda form) {
    Object[] values = new Object[form.getCapturedArgCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = form.getCapturedArg(i);
    }
    return values;
  }
}
