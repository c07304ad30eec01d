package org.parallel4j.process;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.parallel4j.spi.Codec;

/**
 * The JDK's own serialization: it ships lambdas and method references written as {@code Task.Fn} /
 * {@code Task.Call} (they are serializable), with what they capture, and every JDK value type.
 * Everything a task captures, its argument and its result must be {@link java.io.Serializable}.
 * Thread-safe.
 */
public final class JavaSerializationCodec implements Codec {
  @Override
  public String name() {
    return "java-serialization";
  }

  @Override
  public byte[] encode(Object value) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    } catch (NotSerializableException e) {
      throw new NotSerializableException(
          e.getMessage()
              + " is not serializable: a task, what it captures, its argument and"
              + " its result must all be Serializable to run in a worker process");
    }
    return bytes.toByteArray();
  }

  @Override
  public Object decode(byte[] bytes) throws IOException {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      return in.readObject();
    } catch (ClassNotFoundException e) {
      throw new IOException("class not found in this JVM: " + e.getMessage(), e);
    }
  }
}
