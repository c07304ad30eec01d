package org.parallel4j.process;

import java.io.DataOutputStream;
import java.io.IOException;
import org.parallel4j.wire.Frames;

/** Run by a task inside a worker process, to test the server's defences against bad frames. */
public final class HostileFrame {
  private HostileFrame() {}

  /**
   * Sends the server a frame header whose length field claims 2 GiB: a server must close this
   * worker's channel without allocating it.
   */
  public static void send() throws IOException {
    DataOutputStream out = WorkerMain.toServer;
    synchronized (out) {
      out.writeInt(Integer.MAX_VALUE);
      out.writeByte(Frames.RESULT);
      out.flush();
    }
  }
}
