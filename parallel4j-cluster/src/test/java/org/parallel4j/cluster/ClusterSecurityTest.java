package org.parallel4j.cluster;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parallel4j.JobServer;

/**
 * Who may join: one real node JVM with the test secret; job servers with the wrong secret, none at
 * all, or another version are refused within the join timeout with an error naming the node, and
 * raw sockets sending garbage or a huge length do not disturb it.
 */
class ClusterSecurityTest {
  private static NodeProcesses nodes;
  private static NodeProcesses.Started node;

  @BeforeAll
  static void startNode() {
    nodes = new NodeProcesses();
    int port = NodeProcesses.freePort();
    node = nodes.start(port, NodeProcesses.threadNode(2), NodeProcesses.SECRET);
  }

  @AfterAll
  static void stopNode() {
    nodes.close();
  }

  private static JobServer serverWith(ClusterSecurity security) {
    return JobServer.builder()
        .backend(
            Cluster.builder()
                .nodes(node.address())
                .security(security)
                .joinTimeout(Duration.ofSeconds(5))
                .build())
        .build();
  }

  /** The node still serves a job server that knows the secret. */
  private static void nodeStillServes() throws Exception {
    try (JobServer ok = serverWith(NodeProcesses.security())) {
      assertThat(ok.submit(x -> x * 2, 21).get(30, SECONDS)).isEqualTo(42);
    }
  }

  @Test
  void aWrongSecretIsRefusedOnBothSidesNamingThePeer() throws Exception {
    ClusterSecurity wrong = ClusterSecurity.secret("another-secret-of-enough-length".toCharArray());
    int before = node.output().size();
    assertThatThrownBy(() -> serverWith(wrong))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no parallel4j node answered")
        .hasMessageContaining(node.address())
        .hasMessageContaining("not signed by this cluster's authority");
    // the node saw a peer that failed the handshake, and named its address
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                node.output().subList(before, node.output().size()).stream()
                    .anyMatch(l -> l.contains("127.0.0.1:") && l.contains("connection")));
    nodeStillServes();
  }

  @Test
  void anInsecureMemberCannotJoinASecureCluster() throws Exception {
    assertThatThrownBy(() -> serverWith(ClusterSecurity.insecure()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(node.address());
    nodeStillServes();
  }

  @Test
  void garbageAndHugeLengthsOnTheNodesPortAreDroppedAtTheHandshake() throws Exception {
    Random random = new Random(42);
    for (int i = 0; i < 20; i++) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), node.port())) {
        s.setSoTimeout(5000);
        OutputStream out = s.getOutputStream();
        byte[] junk = new byte[1 + random.nextInt(4096)];
        random.nextBytes(junk);
        if (i % 2 == 0) { // a plausible frame header announcing 2 GiB
          ByteBuffer.wrap(junk).putInt(Integer.MAX_VALUE);
        }
        out.write(junk);
        out.flush();
        // the node closes the connection rather than waiting for the rest
        assertThat(s.getInputStream().read(new byte[16384])).isLessThan(16384);
      } catch (java.net.SocketException e) {
        // reset by the node: as good as a close
      }
    }
    assertThat(node.process().isAlive()).isTrue();
    nodeStillServes();
  }

  @Test
  void aNodeOfAnotherVersionIsRefusedNamingBothVersions() throws Exception {
    int port = NodeProcesses.freePort();
    nodes.start(
        port,
        NodeProcesses.threadNode(1),
        NodeProcesses.SECRET,
        List.of("-Dparallel4j.cluster.poseAsVersion=0.0.1-old"));
    assertThatThrownBy(
            () ->
                JobServer.builder()
                    .backend(
                        Cluster.builder()
                            .nodes("127.0.0.1:" + port)
                            .security(NodeProcesses.security())
                            .joinTimeout(Duration.ofSeconds(5))
                            .build())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("0.0.1-old")
        .hasMessageContaining(Version.CURRENT);
  }

  @Test
  void secretsComeFromAFileOrTheEnvironmentAndShortOnesAreRefused(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("secret");
    Files.writeString(file, NodeProcesses.SECRET + "\n");
    try (JobServer s = serverWith(ClusterSecurity.secretFile(file))) {
      assertThat(s.submit(() -> "file").get(30, SECONDS)).isEqualTo("file");
    }
    assertThatThrownBy(() -> ClusterSecurity.secret("short".toCharArray()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fewer than 16 characters");
    assertThatThrownBy(() -> ClusterSecurity.secretFromEnvironment("PARALLEL4J_NO_SUCH_VARIABLE"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PARALLEL4J_NO_SUCH_VARIABLE");
    assertThatThrownBy(() -> ClusterSecurity.secretFile(dir.resolve("missing")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
    assertThatThrownBy(() -> Cluster.builder().nodes("127.0.0.1:1").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("security");
  }

  /**
   * Mutual TLS with certificates of one's own ({@code certs init}): a member of the same authority
   * is served, a member of another authority is refused naming the node.
   */
  @Test
  void certificatesOfOneAuthorityAreTrustedAndAnotherAuthoritysAreNot(@TempDir Path dir)
      throws Exception {
    Path ours = dir.resolve("ours");
    Path theirs = dir.resolve("theirs");
    Certificates.init(ours, 2);
    Certificates.init(theirs, 1);
    assertThatThrownBy(() -> Certificates.init(ours, 1))
        .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    int port = NodeProcesses.freePort();
    NodeProcesses.Started certified =
        nodes.start(
            port,
            List.of(
                "--workers",
                "1",
                "--threads",
                "--certificates",
                ours.resolve("member-1.p12").toString(),
                ours.resolve("trust.p12").toString(),
                ours.resolve("password").toString()),
            null);
    java.util.function.Function<Path, JobServer> serverFrom =
        d ->
            JobServer.builder()
                .backend(
                    Cluster.builder()
                        .nodes(certified.address())
                        .security(
                            ClusterSecurity.certificates(
                                d.resolve(d.equals(ours) ? "member-2.p12" : "member-1.p12"),
                                d.resolve("trust.p12"),
                                d.resolve("password")))
                        .joinTimeout(Duration.ofSeconds(5))
                        .build())
                .build();
    try (JobServer ok = serverFrom.apply(ours)) {
      assertThat(ok.submit(() -> "trusted").get(30, SECONDS)).isEqualTo("trusted");
    }
    assertThatThrownBy(() -> serverFrom.apply(theirs))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(certified.address())
        .hasMessageContaining("another cluster");
  }
}
