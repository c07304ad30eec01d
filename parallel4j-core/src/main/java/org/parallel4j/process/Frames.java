package org.parallel4j.process;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * The wire format between the job server and a worker process: length-prefixed frames, {@code [int
 * length][byte type][long id][payload]}, where {@code length} counts type, id and payload. A length
 * outside {@code [9, maxLength]} closes the channel: no allocation is ever sized by an unchecked
 * length field.
 */
final class Frames {
  static final byte HELLO = 1; // worker -> server: id = pid
  static final byte TASK = 2; // server -> worker: payload = encoded [task, argument]
  static final byte RESULT = 3; // worker -> server: payload = encoded result
  static final byte FAILURE = 4; // worker -> server: payload = encoded exception
  static final byte SHUTDOWN = 5; // server -> worker: finish and exit
  static final byte CANCEL = 6; // server -> worker: interrupt job id, or skip it if queued
  static final int HEADER = 1 + 8;

  private Frames() {}

  /** One frame. */
  record Frame(byte type, long id, byte[] payload) {}

  static void write(DataOutputStream out, byte type, long id, byte[] payload) throws IOException {
    out.writeInt(HEADER + payload.length);
    out.writeByte(type);
    out.writeLong(id);
    out.write(payload);
  }

  /**
   * Reads one frame.
   *
   * @throws EOFException when the channel closed between frames
   * @throws IOException for a truncated or malformed frame
   */
  static Frame read(DataInputStream in, int maxLength) throws IOException {
    int length = in.readInt();
    if (length < HEADER || length > maxLength) {
      throw new IOException(
          "bad frame length: " + length + " (expected: " + HEADER + " to " + maxLength + ")");
    }
    byte type = in.readByte();
    if (type < HELLO || type > CANCEL) {
      throw new IOException("bad frame type: " + type);
    }
    long id = in.readLong();
    byte[] payload = new byte[length - HEADER];
    in.readFully(payload);
    return new Frame(type, id, payload);
  }
}
