package org.parallel4j.cluster;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;

/**
 * The floor under the cluster's round trip, for {@code parallel4j bench cluster}: two members with
 * the cluster's own protocol stack and TLS, in this JVM on 127.0.0.1, one echoing a small message
 * to the other, nothing of parallel4j between. The cluster's figure minus this one is what the job
 * server and the node add (encoding, leases, hand-offs between threads, another JVM).
 */
public final class RawRoundTrip {
  private RawRoundTrip() {}

  /** The median of {@code rounds} round trips of a 16-byte message, in microseconds. */
  public static double medianMicros(int warmup, int rounds) throws Exception {
    ClusterSecurity security =
        ClusterSecurity.secret("raw-round-trip-secret-for-the-benchmark".toCharArray());
    System.Logger log = System.getLogger(RawRoundTrip.class.getName());
    InetAddress loopback = InetAddress.getLoopbackAddress();
    int echoPort = NodeLauncher.freePort();
    String cluster = "parallel4j-raw-" + ProcessHandle.current().pid();
    try (JChannel echo =
            new Membership(log, "raw echo")
                .channel(security, cluster, loopback, echoPort, List.of(), false, null);
        JChannel caller =
            new Membership(log, "raw caller")
                .channel(
                    security,
                    cluster,
                    loopback,
                    0,
                    List.of(new java.net.InetSocketAddress(loopback, echoPort)),
                    false,
                    null)) {
      echo.setReceiver(
          new Receiver() {
            @Override
            public void receive(Message msg) {
              try {
                echo.send(new BytesMessage(msg.getSrc(), msg.getArray()));
              } catch (Exception e) {
                // the caller is closing
              }
            }
          });
      SynchronousQueue<Boolean> replies = new SynchronousQueue<>();
      caller.setReceiver(
          new Receiver() {
            @Override
            public void receive(Message msg) {
              try {
                replies.put(Boolean.TRUE);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          });
      echo.connect(cluster);
      caller.connect(cluster);
      byte[] payload = new byte[16];
      List<Double> micros = new ArrayList<>(rounds);
      for (int i = 0; i < warmup + rounds; i++) {
        long t0 = System.nanoTime();
        caller.send(new BytesMessage(echo.getAddress(), payload));
        if (replies.poll(10, TimeUnit.SECONDS) == null) {
          throw new IllegalStateException("no echo within 10 s");
        }
        if (i >= warmup) {
          micros.add((System.nanoTime() - t0) / 1e3);
        }
      }
      Collections.sort(micros);
      return micros.get(micros.size() / 2);
    }
  }
}
