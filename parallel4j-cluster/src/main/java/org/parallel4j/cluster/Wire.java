package org.parallel4j.cluster;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The messages between a job server and a node, inside JGroups messages (which are reliable,
 * ordered per sender, and arrive only from members that passed the cluster's TLS). Each message
 * starts with its type; numbers are big-endian; a byte string is its length then its bytes, -1 for
 * none.
 *
 * <pre>
 * HELLO    server to node   version, server name
 * WELCOME  node to server   version, workers, node name (host:port), pid, then its load: jobs
 *                           running, jobs waiting, other job servers connected, uptime millis
 * REFUSE   node to server   reason
 * JOBS     server to node   count, then per job: id, deadline nanos (0: none), function, captured
 *                           values (or none), argument; a function is an inline byte string, or a
 *                           slot defined (slot, bytes) or used (slot)
 * CANCEL   server to node   job id, interrupt
 * LIMIT    server to node   how many of this server's jobs may run at once
 * DONE     node to server   started count and ids; result count, then per result: id, failed,
 *                           run nanos, encoded result or exception
 * AGAIN    node to server   the node holds no session of this server (it suspected it, or
 *                           restarted): greet it again; sent once until the next HELLO
 * FETCH    node to server   class name: which code source holds it (class shipping)
 * SOURCE   server to node   class name, SHA-256 of the jar that holds it ("" for none)
 * FETCHJAR node to server   SHA-256 of a jar the node's cache lacks
 * JAR      server to node   SHA-256, the jar's bytes
 * DRAINING node to server   the node is stopping: send it nothing more
 * BYE      node to server   the node has ended its running jobs and leaves: run the jobs that
 *                           waited there elsewhere
 * </pre>
 */
final class Wire {
  static final byte HELLO = 1;
  static final byte WELCOME = 2;
  static final byte REFUSE = 3;
  static final byte JOBS = 4;
  static final byte CANCEL = 5;
  static final byte LIMIT = 6;
  static final byte DONE = 7;
  static final byte AGAIN = 8;
  static final byte DRAINING = 9;
  static final byte BYE = 10;
  static final byte FETCH = 11;
  static final byte SOURCE = 12;
  static final byte FETCH_JAR = 13;
  static final byte JAR = 14;

  static final byte FUNCTION_INLINE = 0;
  static final byte FUNCTION_DEFINE = 1;
  static final byte FUNCTION_SLOT = 2;

  /** The most bytes a node reads as one byte string: larger lengths are a broken message. */
  static final int MAX_BYTES = 1 << 30;

  private Wire() {}

  /** Writes one message. Not thread-safe. */
  static final class Out {
    private final ByteArrayOutputStream bytes;
    private final DataOutputStream out;

    Out(byte type, int sizeHint) {
      bytes = new ByteArrayOutputStream(Math.max(16, sizeHint));
      out = new DataOutputStream(bytes);
      writeByte(type);
    }

    Out writeByte(int b) {
      try {
        out.writeByte(b);
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
      }
      return this;
    }

    Out writeBoolean(boolean b) {
      return writeByte(b ? 1 : 0);
    }

    Out writeInt(int v) {
      try {
        out.writeInt(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Out writeLong(long v) {
      try {
        out.writeLong(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Out writeString(String s) {
      try {
        out.writeUTF(s);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Out writeBytes(byte[] b) {
      if (b == null) {
        return writeInt(-1);
      }
      writeInt(b.length);
      bytes.write(b, 0, b.length);
      return this;
    }

    int size() {
      return bytes.size();
    }

    byte[] toByteArray() {
      return bytes.toByteArray();
    }
  }

  /** Reads one message; a short or malformed message throws {@link IOException}. */
  static final class In {
    private final DataInputStream in;

    In(byte[] buf, int offset, int length) {
      in = new DataInputStream(new java.io.ByteArrayInputStream(buf, offset, length));
    }

    byte readByte() throws IOException {
      return in.readByte();
    }

    boolean readBoolean() throws IOException {
      return in.readByte() != 0;
    }

    int readInt() throws IOException {
      return in.readInt();
    }

    /** A count of entries, each at least {@code minEntryBytes} long: bounded by what is left. */
    int readCount(int minEntryBytes) throws IOException {
      int n = in.readInt();
      if (n < 0 || (long) n * minEntryBytes > in.available()) {
        throw new IOException("a count of " + n + " does not fit the message");
      }
      return n;
    }

    long readLong() throws IOException {
      return in.readLong();
    }

    String readString() throws IOException {
      return in.readUTF();
    }

    byte[] readBytes() throws IOException {
      int n = in.readInt();
      if (n == -1) {
        return null;
      }
      if (n < 0 || n > MAX_BYTES || n > in.available()) {
        throw new IOException("a byte string of " + n + " bytes does not fit the message");
      }
      byte[] b = new byte[n];
      int read = in.read(b);
      if (read != n) {
        throw new EOFException();
      }
      return b;
    }
  }
}
