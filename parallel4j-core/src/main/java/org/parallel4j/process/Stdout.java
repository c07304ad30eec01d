package org.parallel4j.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.parallel4j.wire.Doorbell;

/**
 * A worker's standard output carries what its tasks print and its rings to the server ({@link
 * Doorbell}), so that a worker needs no socket: a fresh JVM's first Unix socket costs tens of
 * milliseconds (docs/benchmarks.md) (the JDK seeds a SecureRandom for it and opens a Selector), a
 * large part of a worker's start.
 *
 * <p>A ring is the byte {@link #BELL} (0xFF). Text in UTF-8 holds neither 0xFF nor {@link #ESCAPE}
 * (0xFE); where what the worker's {@code System.out} writes holds them (another charset, binary
 * output), they are escaped as 0xFE 0x01 and 0xFE 0x02. Output written to file descriptor 1 without
 * {@code System.out} (native code, the JVM's own messages) is passed on as it is; a 0xFF in it
 * would be taken for a ring, which costs a reader one look at an empty ring.
 */
final class Stdout {
  static final int BELL = 0xFF;
  static final int ESCAPE = 0xFE;

  private Stdout() {}

  /** The worker's side: its {@code System.out} and its doorbell on one stream. */
  static final class Encoder implements Doorbell {
    private final OutputStream fd;
    private byte[] buf = new byte[256]; // guarded by this

    /** Writes to {@code fd}, unbuffered: the worker's file descriptor 1. */
    Encoder(OutputStream fd) {
      this.fd = fd;
    }

    /** Rings the server: one byte, never inside an escape. */
    @Override
    public synchronized void ring() throws IOException {
      fd.write(BELL);
    }

    /**
     * The stream for {@code System.out}: escapes what needs it; closing it only flushes, as the
     * rings need the file descriptor for as long as the worker lives.
     */
    OutputStream text() {
      return new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          java.util.Objects.checkFromIndexSize(off, len, b.length);
          synchronized (Encoder.this) {
            if (buf.length < 2 * len) {
              buf = new byte[Math.max(2 * len, 2 * buf.length)];
            }
            int n = 0;
            for (int i = off; i < off + len; i++) {
              int v = b[i] & 0xff;
              if (v == BELL || v == ESCAPE) {
                buf[n++] = (byte) ESCAPE;
                buf[n++] = (byte) (v == BELL ? 1 : 2);
              } else {
                buf[n++] = b[i];
              }
            }
            fd.write(buf, 0, n);
          }
        }
      };
    }
  }

  /**
   * The server's side: splits what a worker wrote into lines of text and rings. A line ends at
   * {@code \n}, {@code \r} or {@code \r\n}, as {@code BufferedReader.readLine} has it (a progress
   * bar redrawn with {@code \r} is a line per redraw, not one line that grows for the whole run),
   * or after {@value #MAX_LINE} bytes, so that output without line ends cannot fill this JVM. Used
   * by one thread, which {@link #feed}s it what it reads, in order.
   */
  static final class Decoder {
    static final int MAX_LINE = 64 * 1024;

    private final Consumer<String> lines;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean escaped; // the last byte fed was ESCAPE
    private boolean afterCr; // the last text byte was \r: a \n now ends no other line

    /** Hands each line, without its line terminator, to {@code lines}. */
    Decoder(Consumer<String> lines) {
      this.lines = lines;
    }

    /** Takes in {@code n} bytes; returns the rings among them. */
    int feed(byte[] b, int n) {
      int rings = 0;
      for (int i = 0; i < n; i++) {
        int v = b[i] & 0xff;
        if (escaped) {
          escaped = false;
          text(v == 1 ? BELL : v == 2 ? ESCAPE : v);
        } else if (v == BELL) {
          rings++;
        } else if (v == ESCAPE) {
          escaped = true;
        } else {
          text(v);
        }
      }
      return rings;
    }

    private void text(int v) {
      boolean crBefore = afterCr;
      afterCr = v == '\r';
      if (v == '\n' && crBefore) {
        return; // the \n of \r\n
      }
      if (v == '\n' || v == '\r') {
        endLine();
        return;
      }
      line.write(v);
      if (line.size() >= MAX_LINE) {
        endLine();
      }
    }

    /** At the end of the stream: hands on a last line that had no terminator. */
    void finish() {
      if (line.size() > 0) {
        endLine();
      }
    }

    private void endLine() {
      String text = line.toString(StandardCharsets.UTF_8);
      line.reset();
      lines.accept(text);
    }
  }
}
