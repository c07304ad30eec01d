package org.parallel4j.cluster;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MPING;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.dns.DNS_PING;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;
import org.jgroups.util.DefaultSocketFactory;

/**
 * A member's JGroups channel: the one place that chooses the protocol stack, so that nodes and job
 * servers always agree on it.
 *
 * <p>TCP, with TCP_NODELAY, TLS 1.3 that requires a certificate from both sides, a bound on any one
 * message, a bound on the TLS handshake when connecting (so that a frozen member delays the others'
 * sends a second at most), and JGroups' diagnostics off (they would open a multicast socket on a
 * real interface); static discovery of the given peers (TCPPING); failure detection by closed
 * connections (a killed member is suspected at once) and by heartbeats (a member that hangs is
 * suspected within {@link #HEARTBEAT_TIMEOUT_MS} ms), each suspicion checked once more for {@link
 * #VERIFY_MS} ms; merging of partitions; reliable, ordered unicasts and multicasts; flow control;
 * fragmentation. No other socket is opened: JGroups' FD_SOCK2 would accept plain connections beside
 * the TLS ones.
 */
final class Membership {
  static final int HEARTBEAT_INTERVAL_MS = 1000;
  static final int HEARTBEAT_TIMEOUT_MS = 4000;
  static final int VERIFY_MS = 1000;
  static final int MAX_WIRE_MESSAGE = 8 << 20;
  static final int HANDSHAKE_MS = 1000;

  /**
   * The multicast group of {@code --discover}, administratively scoped: routers do not forward it.
   * Discovery messages carry members' addresses only, in the clear; joining needs the TLS that
   * follows.
   */
  static final String MULTICAST_GROUP = "239.255.80.4";

  static final int MULTICAST_PORT = 47800;

  /** The refusals seen at TLS handshakes, by the peer's address: the reason, for messages. */
  final Map<String, String> refusals = new ConcurrentHashMap<>();

  private final System.Logger log;
  private final String who;

  Membership(System.Logger log, String who) {
    this.log = log;
    this.who = who;
  }

  /**
   * A channel, not yet connected.
   *
   * @param cluster the cluster's name, which also salts the authority a shared secret makes
   * @param bind the address to listen on
   * @param port the port to listen on, 0 for a free one (TCPPING needs a fixed port: one that is
   *     free now is taken; multicast discovery would take any, but the same rule keeps it simple)
   * @param peers the members to look for at first (may be empty)
   */
  JChannel channel(
      ClusterSecurity security,
      String cluster,
      InetAddress bind,
      int port,
      List<InetSocketAddress> peers)
      throws Exception {
    return channel(security, cluster, bind, port, peers, false, null);
  }

  /**
   * Discovery by a DNS name: JGroups' DNS_PING asks for it at start and at every merge round, so
   * members listed later are found. A name that starts with {@code _} is looked up as SRV records,
   * which carry each member's port; any other name as A records, each member then listening on this
   * member's own port (a Kubernetes headless service: one address per pod, one port).
   *
   * @param name the name to look up
   * @param server the DNS server as {@code host:port}, or null for the system's resolver
   */
  record Dns(String name, String server) {
    Dns {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("dns: \"" + name + "\" (expected: a DNS name)");
      }
    }

    boolean srv() {
      return name.startsWith("_");
    }

    @Override
    public String toString() {
      return (srv() ? "DNS SRV " : "DNS A ") + name + (server == null ? "" : " at " + server);
    }
  }

  /**
   * A channel, not yet connected, that finds the other members by DNS ({@code dns}, unless null:
   * see {@link Dns}), by multicast ({@code discover}: JGroups' MPING on {@link
   * #MULTICAST_GROUP}:{@link #MULTICAST_PORT}, time to live 1, so that it stays on the local
   * network) or by the static list {@code peers} (TCPPING).
   */
  JChannel channel(
      ClusterSecurity security,
      String cluster,
      InetAddress bind,
      int port,
      List<InetSocketAddress> peers,
      boolean discover,
      Dns dns)
      throws Exception {
    TCP tcp = new TCP();
    tcp.setBindAddress(bind);
    tcp.setBindPort(port == 0 ? freePort(bind) : port);
    tcp.setPortRange(0);
    tcp.tcpNodelay(true);
    tcp.setMaxLength(MAX_WIRE_MESSAGE);
    tcp.enableSuspectEvents(true);
    tcp.setSockConnTimeout(500);
    tcp.setValue("log_details", false);
    SSLContext tls =
        Tls.context(
            security,
            cluster,
            (peer, reason) -> {
              refusals.put(peer, reason);
              log.log(System.Logger.Level.WARNING, who + ": refused " + peer + ": " + reason);
            });
    if (tls != null) {
      tcp.setSocketFactory(socketFactory(tls));
    } else {
      log.log(
          System.Logger.Level.WARNING,
          who
              + ": running INSECURE: no authentication and no encryption; anyone who reaches "
              + Addresses.format(bind, port)
              + " can run code here");
    }
    Protocol discovery;
    if (dns != null) {
      DNS_PING ping = new DNS_PING().dnsQuery(dns.name()).dnsRecordType(dns.srv() ? "SRV" : "A");
      if (dns.server() != null) {
        ping.dnsAddress(dns.server());
      }
      discovery = ping;
    } else if (discover) {
      discovery =
          new MPING()
              .setValue("bind_addr", bind)
              .setValue("mcast_addr", InetAddress.getByName(MULTICAST_GROUP))
              .setValue("mcast_port", MULTICAST_PORT)
              .setValue("ip_ttl", 1);
    } else {
      TCPPING tcpping = new TCPPING();
      tcpping.setInitialHosts(new ArrayList<>(peers));
      tcpping.setPortRange(0);
      tcpping.setValue("send_cache_on_join", true);
      discovery = tcpping;
    }
    GMS gms = new GMS();
    gms.setJoinTimeout(1000);
    gms.setLeaveTimeout(1000);
    gms.setViewAckCollectionTimeout(1000);
    gms.setValue("print_local_addr", false);
    gms.setValue("log_view_warnings", false);
    List<Protocol> stack =
        List.of(
            tcp,
            discovery,
            new MERGE3().setValue("min_interval", 1000L).setValue("max_interval", 3000L),
            new FD_ALL3()
                .setValue("interval", (long) HEARTBEAT_INTERVAL_MS)
                .setValue("timeout", (long) HEARTBEAT_TIMEOUT_MS),
            new VERIFY_SUSPECT2().setValue("timeout", (long) VERIFY_MS),
            new NAKACK2().setValue("use_mcast_xmit", false),
            // a member that left is forgotten soon: retransmitting to it would try to connect
            new UNICAST3().setValue("conn_close_timeout", 2000L),
            new STABLE(),
            gms,
            new UFC(),
            new FRAG4());
    JChannel channel = new JChannel(stack);
    channel.setName(who.replace(' ', '-'));
    // after the stack's init, which makes the handler; before connect, which would start it
    tcp.getDiagnosticsHandler().setEnabled(false);
    channel.setDiscardOwnMessages(true);
    return channel;
  }

  /**
   * TLS 1.3 sockets that require the peer's certificate, and whose handshake, when this side
   * connects, must end within {@link #HANDSHAKE_MS} ms: a peer that is frozen (SIGSTOP) still
   * accepts connections in its kernel, and a handshake with it would otherwise wait for ever,
   * holding JGroups' connection table, and every send with it. (JGroups' own TLS component sets no
   * such bound.) One second: JGroups sends everything from one thread, so while it waits on a
   * frozen peer (reconnecting for a retransmission or for discovery) this member's heartbeats and
   * results wait too; with 3 s, a healthy node now and then missed the 4 s heartbeat timeout and
   * was excluded beside the frozen one. A TLS 1.3 handshake takes one round trip.
   */
  private static DefaultSocketFactory socketFactory(SSLContext tls) {
    DefaultSocketFactory f = new DefaultSocketFactory(tls);
    SSLParameters server = tls.getDefaultSSLParameters();
    server.setProtocols(new String[] {Tls.PROTOCOL});
    server.setNeedClientAuth(true);
    f.setServerSocketConfigurator(s -> ((SSLServerSocket) s).setSSLParameters(server));
    f.setSocketConfigurator(
        s -> {
          SSLSocket socket = (SSLSocket) s;
          SSLParameters client = socket.getSSLParameters();
          client.setProtocols(new String[] {Tls.PROTOCOL});
          socket.setSSLParameters(client);
          try {
            socket.setSoTimeout(HANDSHAKE_MS);
          } catch (java.net.SocketException e) {
            throw new java.io.UncheckedIOException(e);
          }
          socket.addHandshakeCompletedListener(
              done -> {
                try {
                  done.getSocket().setSoTimeout(0); // from now on JGroups' reads wait as they do
                } catch (java.net.SocketException e) {
                  // closed meanwhile
                }
              });
        });
    return f;
  }

  private static int freePort(InetAddress bind) throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, bind)) {
      return s.getLocalPort();
    }
  }

  /**
   * Checks a cluster name, for both builders.
   *
   * @throws IllegalArgumentException when it is blank
   */
  static String clusterName(String name) {
    java.util.Objects.requireNonNull(name, "cluster");
    if (name.isBlank()) {
      throw new IllegalArgumentException("cluster: a blank name");
    }
    return name;
  }
}
