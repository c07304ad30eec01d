package org.parallel4j.spi;

import java.io.IOException;

/**
 * Turns tasks, arguments, results and exceptions into bytes and back, for backends that run jobs in
 * another process. Implementations must be thread-safe.
 */
public interface Codec {
  /** A short name for messages, such as {@code kryo}. */
  String name();

  /**
   * Encodes {@code value}.
   *
   * @throws IOException when the value, or something it holds, cannot be encoded; the message names
   *     what could not
   */
  byte[] encode(Object value) throws IOException;

  /**
   * Decodes what {@link #encode} produced.
   *
   * @throws IOException when the bytes are not a value this codec wrote, or name a class this JVM
   *     lacks
   */
  Object decode(byte[] bytes) throws IOException;

  /**
   * Decodes what {@link #encode} produced, found in {@code bytes[offset, offset + length)}.
   *
   * @throws IOException as {@link #decode(byte[])}
   */
  default Object decode(byte[] bytes, int offset, int length) throws IOException {
    return decode(java.util.Arrays.copyOfRange(bytes, offset, offset + length));
  }
}
