package org.parallel4j;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * This JVM's {@code System.out} redirected for a test, where workers' forwarded lines land, and put
 * back on {@link #close}.
 */
final class StdoutCapture implements AutoCloseable {
  private final PrintStream original = System.out;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  /** Captures what is printed. */
  StdoutCapture() {
    this(null);
  }

  /** Sends what is printed through {@code through} (which may block) before capturing it. */
  StdoutCapture(java.util.function.Function<OutputStream, OutputStream> through) {
    OutputStream sink = through == null ? bytes : through.apply(bytes);
    System.setOut(new PrintStream(sink, true, StandardCharsets.UTF_8));
  }

  /** What was printed so far, as UTF-8. */
  String text() {
    synchronized (bytes) {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  @Override
  public void close() {
    System.setOut(original);
  }
}
