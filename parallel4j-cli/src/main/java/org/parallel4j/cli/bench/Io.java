package org.parallel4j.cli.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The I/O of the {@code io} scenario: a local HTTP server on 127.0.0.1 that answers each request
 * after a fixed delay, and the tasks that wait on it or on a plain sleep.
 */
final class Io implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();

  /** Starts a server that answers {@code GET /} after {@code delayMillis}. */
  Io(long delayMillis) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    server.setExecutor(handlers);
    server.createContext(
        "/",
        exchange -> {
          try {
            Thread.sleep(delayMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] body = "ok".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  /** The server's address. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  /** A task: one request to {@code url}; returns the bytes of the answer. */
  static int fetch(String url) throws IOException {
    try (InputStream in = URI.create(url).toURL().openStream()) {
      return in.readAllBytes().length;
    }
  }

  /** A task: waits {@code millis}. */
  static long sleep(long millis) throws InterruptedException {
    Thread.sleep(millis);
    return millis;
  }

  @Override
  public void close() {
    server.stop(0);
    handlers.close();
  }
}
