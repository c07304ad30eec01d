package org.parallel4j.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * The Unix socket between a job server and a worker, once frames travel through {@link Ring}s: each
 * side rings the other awake with a byte, and a side whose peer is gone (closed, killed) finds the
 * socket at its end. Threads of this side sleep in {@link #sleep}, which a byte from the peer, the
 * end of the socket or a local {@link #wakeUp} ends.
 */
final class Doorbell implements AutoCloseable {
  private final SocketChannel ch;
  private final Selector selector;
  private final ByteBuffer drain = ByteBuffer.allocate(256); // guarded by drain

  /** Takes over {@code ch}, which is switched to non-blocking mode. */
  Doorbell(SocketChannel ch) throws IOException {
    this.ch = ch;
    this.selector = Selector.open();
    ch.configureBlocking(false);
    ch.register(selector, SelectionKey.OP_READ);
  }

  /** Rings the peer: one byte. A full socket buffer already holds rings enough. */
  void ring() throws IOException {
    ch.write(ByteBuffer.wrap(new byte[] {1}));
  }

  /**
   * Sleeps until the peer rings, the socket ends or {@link #wakeUp} is called, and takes in the
   * rings that came. Returns false when the peer is gone. Several threads may call it; they sleep
   * one after another.
   */
  boolean sleep() throws IOException {
    try {
      selector.select();
      selector.selectedKeys().clear();
    } catch (java.nio.channels.ClosedSelectorException e) {
      return false; // closed on this side
    }
    synchronized (drain) {
      while (true) {
        drain.clear();
        int n = ch.read(drain);
        if (n < 0) {
          return false;
        }
        if (n == 0) {
          return true;
        }
      }
    }
  }

  /** Ends a sleep in this process now, or the next one to begin. */
  void wakeUp() {
    selector.wakeup();
  }

  @Override
  public void close() throws IOException {
    try {
      ch.close();
    } finally {
      selector.close();
    }
  }
}
