package org.parallel4j.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.SerializerFactory;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ClosureSerializer;
import com.esotericsoftware.kryo.serializers.FieldSerializer;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.util.Pool;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.objenesis.strategy.StdInstantiatorStrategy;
import org.parallel4j.spi.Codec;

/**
 * The codec of the worker-process engine: <a href="https://github.com/EsotericSoftware/kryo">Kryo
 * 5</a>, about twenty times faster than the JDK's serialization for a task and its argument, with
 * the same rules for what may travel:
 *
 * <ul>
 *   <li>Lambdas and method references typed as {@code Task.Fn} / {@code Task.Call} (they are
 *       serializable), with the values they capture.
 *   <li>Any {@link Serializable} class: records through their canonical constructor; JDK
 *       collections, boxed values, strings, arrays and {@code java.time} values natively; classes
 *       of JDK modules and classes that define {@code writeObject}, {@code readObject}, {@code
 *       writeReplace} or {@code readResolve}, and every exception, through Java serialization, so
 *       their own rules hold; other classes field by field, {@code transient} fields skipped.
 *   <li>Object graphs with shared references and cycles.
 * </ul>
 *
 * <p>A value that is not {@link Serializable} is refused with {@link NotSerializableException}
 * naming its class. Needs no {@code --add-opens}. Thread-safe: a platform thread keeps a Kryo
 * instance of its own, a virtual thread borrows one from a pool.
 */
public final class KryoCodec implements Codec {
  private static final int MAX_POOLED = 64;

  private final ClassLoader loader;
  private final ThreadLocal<Local> local = ThreadLocal.withInitial(() -> new Local(newKryo()));

  /** A codec that finds classes where this class was loaded from. */
  public KryoCodec() {
    this(KryoCodec.class.getClassLoader());
  }

  /**
   * A codec that finds the classes it decodes through {@code loader}: a node's loader of the code a
   * job server shipped, say.
   */
  public KryoCodec(ClassLoader loader) {
    this.loader = java.util.Objects.requireNonNull(loader, "loader");
  }

  static {
    // Kryo's sun.misc.Unsafe paths print warnings on JDK 24+ and are to be removed; reflection does
    if (System.getProperty("kryo.unsafe") == null) {
      System.setProperty("kryo.unsafe", "false");
    }
  }

  private final Pool<Kryo> pool =
      new Pool<>(true, false, MAX_POOLED) {
        @Override
        protected Kryo create() {
          return newKryo();
        }
      };
  private final Pool<Output> outputs =
      new Pool<>(true, false, MAX_POOLED) {
        @Override
        protected Output create() {
          return new Output(1024, -1);
        }
      };

  @Override
  public String name() {
    return "kryo";
  }

  @Override
  public byte[] encode(Object value) throws IOException {
    Local mine = Thread.currentThread().isVirtual() ? null : local.get();
    if (mine != null && !mine.busy) { // a platform thread's own: no pool traffic per call
      mine.busy = true;
      try {
        return encode(mine.kryo, mine.out, value);
      } finally {
        mine.busy = false;
      }
    }
    Kryo kryo = pool.obtain();
    Output out = outputs.obtain();
    try {
      return encode(kryo, out, value);
    } finally {
      outputs.free(out);
      pool.free(kryo);
    }
  }

  private static byte[] encode(Kryo kryo, Output out, Object value) throws IOException {
    try {
      kryo.writeClassAndObject(out, value);
      return out.toBytes();
    } catch (KryoException | IllegalArgumentException e) {
      throw explain(e);
    } finally {
      out.reset();
      if (out.getBuffer().length > 1 << 20) {
        out.setBuffer(new byte[1024], -1); // keep no huge buffer
      }
    }
  }

  /**
   * A platform thread's own Kryo and buffer; {@code busy} guards against reentry (a value whose
   * serialization encodes another). Virtual threads, many and short-lived, use the pools.
   */
  private static final class Local {
    final Kryo kryo;
    final Output out = new Output(1024, -1);
    boolean busy;

    Local(Kryo kryo) {
      this.kryo = kryo;
    }
  }

  @Override
  public Object decode(byte[] bytes) throws IOException {
    return decode(bytes, 0, bytes.length);
  }

  @Override
  public Object decode(byte[] bytes, int offset, int length) throws IOException {
    Local mine = Thread.currentThread().isVirtual() ? null : local.get();
    if (mine != null && !mine.busy) {
      mine.busy = true;
      try {
        return decode(mine.kryo, bytes, offset, length);
      } finally {
        mine.busy = false;
      }
    }
    Kryo kryo = pool.obtain();
    try {
      return decode(kryo, bytes, offset, length);
    } finally {
      pool.free(kryo);
    }
  }

  private static Object decode(Kryo kryo, byte[] bytes, int offset, int length) throws IOException {
    try {
      return kryo.readClassAndObject(new Input(bytes, offset, length));
    } catch (RuntimeException e) { // truncated or foreign bytes can fail in many ways
      throw new IOException("cannot decode a value: " + rootMessage(e), e);
    }
  }

  private static IOException explain(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof NotSerializableException n) {
        NotSerializableException refused = new NotSerializableException(n.getMessage());
        refused.initCause(e);
        return refused;
      }
    }
    return new IOException("cannot encode a value: " + rootMessage(e), e);
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : root + " (" + e.getMessage() + ")";
  }

  private Kryo newKryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(false);
    kryo.setReferences(true); // shared references and cycles survive, as with Java serialization
    kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
    kryo.setClassLoader(loader);
    ImmutableCollectionsSerializers.addDefaultSerializers(kryo);
    kryo.addDefaultSerializer(Throwable.class, JavaSerializer.class);
    kryo.setDefaultSerializer(new Fallback());
    kryo.register(ClosureSerializer.Closure.class, new LambdaSerializer());
    kryo.register(java.util.ArrayList.class, new ArrayListSerializer());
    kryo.register(Object[].class); // a lambda's captured values travel as one (LambdaShape)
    return kryo;
  }

  /**
   * For classes without a serializer of their own: refuses what is not serializable, uses Java
   * serialization where a class has its own rules or its fields cannot be reached (JDK modules do
   * not open theirs), and fields otherwise.
   */
  @SuppressWarnings("rawtypes") // Kryo's factory interface is declared with raw types
  private static final class Fallback extends SerializerFactory.BaseSerializerFactory<Serializer> {
    @Override
    public Serializer newSerializer(Kryo kryo, Class type) {
      if (!Serializable.class.isAssignableFrom(type)) {
        return new Refused(type);
      }
      if (type.getModule().isNamed() || hasOwnRules(type)) {
        return new JavaSerializer();
      }
      return new FieldSerializer<>(kryo, type);
    }

    private static boolean hasOwnRules(Class<?> type) {
      for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
        for (Method m : c.getDeclaredMethods()) {
          switch (m.getName()) {
            case "writeObject", "readObject", "writeReplace", "readResolve", "readObjectNoData" -> {
              return true;
            }
            default -> {}
          }
        }
      }
      return false;
    }
  }

  /** Fails the encoding of a class that is not serializable, naming it. */
  private static final class Refused extends Serializer<Object> {
    private final Class<?> type;

    Refused(Class<?> type) {
      this.type = type;
    }

    @Override
    public void write(Kryo kryo, Output output, Object object) {
      throw new KryoException(
          new NotSerializableException(
              type.getName()
                  + " is not serializable: a task, what it captures, its argument and its"
                  + " result must all be Serializable to run in a worker process"));
    }

    @Override
    public Object read(Kryo kryo, Input input, Class<? extends Object> t) {
      throw new KryoException("not serializable: " + type.getName());
    }
  }

  /**
   * Array lists, the slices and results of {@code map}: when every element is a non-null value of
   * one class, the class is written once, and ints, longs and doubles are written raw; otherwise
   * element by element with its class.
   */
  private static final class ArrayListSerializer extends Serializer<java.util.ArrayList<Object>> {
    private static final int MIXED = 0;
    private static final int SAME = 1;
    private static final int INTS = 2;
    private static final int LONGS = 3;
    private static final int DOUBLES = 4;

    @Override
    public void write(Kryo kryo, Output out, java.util.ArrayList<Object> list) {
      int n = list.size();
      out.writeVarInt(n, true);
      Class<?> type = n == 0 || list.get(0) == null ? null : list.get(0).getClass();
      for (int i = 1; i < n && type != null; i++) {
        Object e = list.get(i);
        if (e == null || e.getClass() != type) {
          type = null;
        }
      }
      if (type == null) {
        out.writeByte(MIXED);
        for (int i = 0; i < n; i++) {
          kryo.writeClassAndObject(out, list.get(i));
        }
      } else if (type == Integer.class) {
        out.writeByte(INTS);
        for (int i = 0; i < n; i++) {
          out.writeVarInt((Integer) list.get(i), false);
        }
      } else if (type == Long.class) {
        out.writeByte(LONGS);
        for (int i = 0; i < n; i++) {
          out.writeVarLong((Long) list.get(i), false);
        }
      } else if (type == Double.class) {
        out.writeByte(DOUBLES);
        for (int i = 0; i < n; i++) {
          out.writeDouble((Double) list.get(i));
        }
      } else {
        out.writeByte(SAME);
        kryo.writeClass(out, type);
        Serializer<?> serializer = kryo.getSerializer(type);
        for (int i = 0; i < n; i++) {
          kryo.writeObject(out, list.get(i), serializer);
        }
      }
    }

    @Override
    public java.util.ArrayList<Object> read(
        Kryo kryo, Input in, Class<? extends java.util.ArrayList<Object>> t) {
      int n = in.readVarInt(true);
      java.util.ArrayList<Object> list = new java.util.ArrayList<>(Math.min(n, 1 << 16));
      kryo.reference(list);
      int kind = in.readByte();
      switch (kind) {
        case MIXED -> {
          for (int i = 0; i < n; i++) {
            list.add(kryo.readClassAndObject(in));
          }
        }
        case INTS -> {
          for (int i = 0; i < n; i++) {
            list.add(in.readVarInt(false));
          }
        }
        case LONGS -> {
          for (int i = 0; i < n; i++) {
            list.add(in.readVarLong(false));
          }
        }
        case DOUBLES -> {
          for (int i = 0; i < n; i++) {
            list.add(in.readDouble());
          }
        }
        case SAME -> {
          Class<?> type = kryo.readClass(in).getType();
          Serializer<?> serializer = kryo.getSerializer(type);
          for (int i = 0; i < n; i++) {
            list.add(kryo.readObject(in, type, serializer));
          }
        }
        default -> throw new KryoException("bad list encoding: " + kind);
      }
      return list;
    }
  }

  /**
   * Serializable lambdas and method references, through their {@link SerializedLambda} form, read
   * back by the capturing class's own {@code $deserializeLambda$} as Java serialization does; its
   * public accessors and constructor are used, so no JDK package needs opening.
   */
  private static final class LambdaSerializer extends Serializer<Object> {
    private static final ClassValue<Method> DESERIALIZE =
        new ClassValue<>() {
          @Override
          protected Method computeValue(Class<?> capturing) {
            try {
              Method m = capturing.getDeclaredMethod("$deserializeLambda$", SerializedLambda.class);
              m.setAccessible(true);
              return m;
            } catch (NoSuchMethodException e) {
              throw new KryoException(capturing.getName() + " has no serializable lambdas", e);
            }
          }
        };

    @Override
    public void write(Kryo kryo, Output out, Object lambda) {
      Method writeReplace = Shippable.writeReplace(lambda.getClass());
      if (writeReplace == null) {
        throw new KryoException(
            new NotSerializableException(
                lambda.getClass().getName()
                    + " is a lambda that is not serializable: type it as Task.Fn or Task.Call"));
      }
      SerializedLambda s;
      try {
        s = (SerializedLambda) writeReplace.invoke(lambda);
      } catch (ReflectiveOperationException e) {
        throw new KryoException("cannot take the serialized form of " + lambda.getClass(), e);
      }
      out.writeString(s.getCapturingClass());
      out.writeString(s.getFunctionalInterfaceClass());
      out.writeString(s.getFunctionalInterfaceMethodName());
      out.writeString(s.getFunctionalInterfaceMethodSignature());
      out.writeVarInt(s.getImplMethodKind(), true);
      out.writeString(s.getImplClass());
      out.writeString(s.getImplMethodName());
      out.writeString(s.getImplMethodSignature());
      out.writeString(s.getInstantiatedMethodType());
      out.writeVarInt(s.getCapturedArgCount(), true);
      for (int i = 0; i < s.getCapturedArgCount(); i++) {
        kryo.writeClassAndObject(out, s.getCapturedArg(i));
      }
    }

    @Override
    public Object read(Kryo kryo, Input in, Class<?> type) {
      String capturing = in.readString();
      Class<?> capturingClass;
      try {
        capturingClass = Class.forName(capturing.replace('/', '.'), false, kryo.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new KryoException("the class of a lambda is missing here: " + capturing, e);
      }
      String fiClass = in.readString();
      String fiMethod = in.readString();
      String fiSignature = in.readString();
      int kind = in.readVarInt(true);
      String implClass = in.readString();
      String implMethod = in.readString();
      String implSignature = in.readString();
      String instantiated = in.readString();
      Object[] captured = new Object[in.readVarInt(true)];
      for (int i = 0; i < captured.length; i++) {
        captured[i] = kryo.readClassAndObject(in);
      }
      SerializedLambda s =
          new SerializedLambda(
              capturingClass,
              fiClass,
              fiMethod,
              fiSignature,
              kind,
              implClass,
              implMethod,
              implSignature,
              instantiated,
              captured);
      try {
        return DESERIALIZE.get(capturingClass).invoke(null, s);
      } catch (InvocationTargetException e) {
        throw new KryoException("cannot rebuild a lambda of " + capturing, e.getCause());
      } catch (IllegalAccessException e) {
        throw new KryoException("cannot rebuild a lambda of " + capturing, e);
      }
    }
  }
}
