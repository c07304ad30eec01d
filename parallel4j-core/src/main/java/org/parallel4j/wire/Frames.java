package org.parallel4j.wire;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * The wire format between the job server and a worker process: length-prefixed frames, {@code [int
 * length][byte type][long id][payload]}, where {@code length} counts type, id and payload. A length
 * outside {@code [9, maxLength]} closes the channel: no allocation is ever sized by an unchecked
 * length field.
 *
 * <p>Frames are written into a buffered stream and flushed once per batch, so a burst of small
 * tasks, or of their results, shares one system call.
 */
public final class Frames {
  public static final byte HELLO = 1; // worker -> server: id = pid
  public static final byte TASK = 2; // server -> worker: id = job; payload = task (below)
  public static final byte RESULT =
      3; // worker -> server: payload = [long run nanos][encoded result]
  public static final byte FAILURE =
      4; // worker -> server: payload = [long run nanos][encoded exception]
  public static final byte SHUTDOWN = 5; // server -> worker: finish and exit
  public static final byte CANCEL = 6; // server -> worker: interrupt job id, or skip it if queued
  public static final byte DEFINE = 7; // server -> worker: id = slot; payload = encoded function
  public static final byte SKIP = 8; // server -> worker: skip job id if it has not started
  // server -> worker: a TASK sent while the server held no other job; the worker stays awake for
  // the next one, as a caller that waits for each result submits one right after
  public static final byte TASK_ALONE = 9;
  static final int HEADER = 1 + 8;

  /**
   * The slot of a TASK whose function travels inline: {@code [int INLINE][int n][n bytes of
   * function][argument]}. Otherwise a TASK is {@code [int slot][int n][n bytes of captured
   * values][argument]}, the function having been sent once in a DEFINE frame for that slot; with
   * {@code n > 0} the task's function is a new instance of that lambda's class with those captured
   * values ({@link org.parallel4j.codec.LambdaShape}).
   */
  public static final int INLINE = -1;

  private Frames() {}

  /**
   * One frame; {@code payload} null when it was too large for this heap, and {@code skipped} its
   * length, read past so that the next frame is in place.
   */
  public record Frame(byte type, long id, byte[] payload, int skipped) {
    public Frame(byte type, long id, byte[] payload) {
      this(type, id, payload, 0);
    }

    /** Whether the payload did not fit in this heap and was skipped. */
    public boolean tooLarge() {
      return payload == null;
    }
  }

  public static void write(DataOutputStream out, byte type, long id, byte[] payload)
      throws IOException {
    out.writeInt(HEADER + payload.length);
    out.writeByte(type);
    out.writeLong(id);
    out.write(payload);
  }

  /**
   * Writes a TASK frame for job {@code id} whose function is in {@code slot}, or is made anew from
   * the lambda there with the values in {@code captured} (null: none).
   */
  public static void writeTask(
      DataOutputStream out, long id, boolean alone, int slot, byte[] captured, byte[] argument)
      throws IOException {
    int n = captured == null ? 0 : captured.length;
    out.writeInt(HEADER + 8 + n + argument.length);
    out.writeByte(alone ? TASK_ALONE : TASK);
    out.writeLong(id);
    out.writeInt(slot);
    out.writeInt(n);
    if (n > 0) {
      out.write(captured);
    }
    out.write(argument);
  }

  /** Writes a TASK frame for job {@code id} that carries its function. */
  public static void writeInlineTask(
      DataOutputStream out, long id, boolean alone, byte[] function, byte[] argument)
      throws IOException {
    out.writeInt(HEADER + 8 + function.length + argument.length);
    out.writeByte(alone ? TASK_ALONE : TASK);
    out.writeLong(id);
    out.writeInt(INLINE);
    out.writeInt(function.length);
    out.write(function);
    out.write(argument);
  }

  /** Writes a RESULT or FAILURE frame. */
  public static void writeOutcome(
      DataOutputStream out, byte type, long id, long runNanos, byte[] payload) throws IOException {
    out.writeInt(HEADER + 8 + payload.length);
    out.writeByte(type);
    out.writeLong(id);
    out.writeLong(runNanos);
    out.write(payload);
  }

  /**
   * Reads one frame.
   *
   * @throws EOFException when the channel closed between frames
   * @throws IOException for a truncated or malformed frame
   */
  public static Frame read(DataInputStream in, int maxLength) throws IOException {
    int length = in.readInt();
    if (length < HEADER || length > maxLength) {
      throw new IOException(
          "bad frame length: " + length + " (expected: " + HEADER + " to " + maxLength + ")");
    }
    byte type = in.readByte();
    if (type < HELLO || type > TASK_ALONE) {
      throw new IOException("bad frame type: " + type);
    }
    long id = in.readLong();
    byte[] payload;
    try {
      payload = new byte[length - HEADER];
    } catch (OutOfMemoryError e) { // within the bound, but not this heap: that job alone fails
      in.skipNBytes(length - HEADER);
      return new Frame(type, id, null, length - HEADER);
    }
    in.readFully(payload);
    return new Frame(type, id, payload);
  }
}
