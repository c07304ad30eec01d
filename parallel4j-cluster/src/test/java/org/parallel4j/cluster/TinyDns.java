package org.parallel4j.cluster;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A DNS server for tests, on UDP: answers questions for A and SRV records from tables that the test
 * changes while it runs, with a time to live of 0 so that no answer is cached. Names it does not
 * know get NXDOMAIN; a packet it cannot parse gets no answer. Enough for JGroups' DNS_PING (through
 * the JDK's JNDI DNS client), nothing more.
 */
final class TinyDns implements AutoCloseable {
  private static final int A = 1;
  private static final int SRV = 33;

  /** One SRV record: the target's port and host name. */
  record Srv(int port, String target) {}

  private final DatagramSocket socket;
  private final Map<String, List<InetAddress>> addresses = new ConcurrentHashMap<>();
  private final Map<String, List<Srv>> services = new ConcurrentHashMap<>();
  private final Thread thread;

  /** Listens on a free port of {@code bind}. */
  TinyDns(InetAddress bind) throws SocketException {
    socket = new DatagramSocket(0, bind);
    thread = Thread.ofPlatform().name("tiny-dns").daemon().start(this::serve);
  }

  /** {@code host:port}, for {@code --dns-server}. */
  String address() {
    return Addresses.format(socket.getLocalAddress(), socket.getLocalPort());
  }

  /** Sets the A records of {@code name}. */
  void a(String name, InetAddress... ips) {
    addresses.put(key(name), List.of(ips));
  }

  /** Sets the SRV records of {@code name}. */
  void srv(String name, Srv... records) {
    services.put(key(name), List.of(records));
  }

  private static String key(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  private void serve() {
    byte[] buf = new byte[512];
    while (!socket.isClosed()) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(p);
        byte[] reply = answer(ByteBuffer.wrap(p.getData(), 0, p.getLength()));
        if (reply != null) {
          socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
        }
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private byte[] answer(ByteBuffer in) {
    try {
      short id = in.getShort();
      short flags = in.getShort();
      if (in.getShort() != 1) {
        return null; // one question, as every resolver asks
      }
      in.position(12);
      StringBuilder name = new StringBuilder();
      for (int len = in.get() & 0xff; len != 0; len = in.get() & 0xff) {
        byte[] label = new byte[len];
        in.get(label);
        name.append(name.isEmpty() ? "" : ".").append(new String(label, StandardCharsets.US_ASCII));
      }
      int type = in.getShort() & 0xffff;
      in.getShort(); // class IN
      int questionEnd = in.position();
      String key = key(name.toString());
      boolean known = addresses.containsKey(key) || services.containsKey(key);
      ByteBuffer out = ByteBuffer.allocate(512);
      out.putShort(id);
      out.putShort((short) (0x8400 | (flags & 0x0100) | (known ? 0 : 3))); // answer, AA, RD, rcode
      out.putShort((short) 1);
      int countAt = out.position();
      out.putShort((short) 0).putShort((short) 0).putShort((short) 0);
      out.put(in.array(), in.arrayOffset() + 12, questionEnd - 12); // the question, as asked
      int answers = 0;
      if (type == A) {
        for (InetAddress ip : addresses.getOrDefault(key, List.of())) {
          byte[] b = ip.getAddress();
          out.putShort((short) 0xC00C).putShort((short) A).putShort((short) 1).putInt(0);
          out.putShort((short) b.length).put(b);
          answers++;
        }
      } else if (type == SRV) {
        for (Srv s : services.getOrDefault(key, List.of())) {
          byte[] target = encode(s.target());
          out.putShort((short) 0xC00C).putShort((short) SRV).putShort((short) 1).putInt(0);
          out.putShort((short) (6 + target.length));
          out.putShort((short) 0).putShort((short) 0).putShort((short) s.port()).put(target);
          answers++;
        }
      }
      out.putShort(countAt, (short) answers);
      byte[] reply = new byte[out.position()];
      out.flip().get(reply);
      return reply;
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] encode(String name) {
    ByteBuffer b = ByteBuffer.allocate(256);
    for (String label : key(name).split("\\.")) {
      byte[] l = label.getBytes(StandardCharsets.US_ASCII);
      b.put((byte) l.length).put(l);
    }
    b.put((byte) 0);
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  @Override
  public void close() {
    socket.close(); // its thread ends with the socket's receive
  }
}
