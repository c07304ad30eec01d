package org.parallel4j.cluster;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parallel4j.JobServer;
import org.parallel4j.Task;

/**
 * Tasks whose class no node has: compiled by the test into a directory of its own, loaded by the
 * job server's JVM alone, and fetched by the node from the job server that submits them. Two job
 * servers send two versions of one class to one node at once, and each gets its own version's
 * answer.
 */
class ClassShippingTest {
  @TempDir Path dir;
  private final NodeProcesses nodes = new NodeProcesses();
  private JobServer first;
  private JobServer second;

  @AfterEach
  void stop() {
    for (JobServer s : new JobServer[] {first, second}) {
      if (s != null) {
        s.close();
      }
    }
    nodes.close();
  }

  /** Compiles {@code shipped.Greeter}, answering {@code version + ":" + name}, into its own dir. */
  private Task.Fn<String, String> greeter(String version) throws Exception {
    Path src = dir.resolve(version + "-src/shipped/Greeter.java");
    Path out = dir.resolve(version + "-classes");
    Files.createDirectories(src.getParent());
    Files.createDirectories(out);
    Files.writeString(
        src,
        "package shipped;\n"
            + "public final class Greeter implements org.parallel4j.Task.Fn<String, String> {\n"
            + "  public String call(String name) { return Helper.say(name); }\n"
            + "}\n"
            + "final class Helper {\n" // reached only when the task runs: shipped as well
            + "  static String say(String name) { return \""
            + version
            + ":\" + name; }\n"
            + "}\n");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc =
        javac.run(
            null,
            null,
            null,
            "-d",
            out.toString(),
            "-cp",
            System.getProperty("java.class.path"),
            src.toString());
    assertThat(rc).as("javac").isZero();
    URLClassLoader loader =
        new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader());
    @SuppressWarnings("unchecked")
    Task.Fn<String, String> fn =
        (Task.Fn<String, String>)
            loader.loadClass("shipped.Greeter").getConstructor().newInstance();
    return fn;
  }

  private static JobServer serverOn(NodeProcesses.Started node) {
    return JobServer.builder()
        .backend(
            Cluster.builder()
                .nodes(node.address())
                .security(NodeProcesses.security())
                .joinTimeout(Duration.ofSeconds(30))
                .build())
        .build();
  }

  @Test
  void twoVersionsOfAClassTheNodeLacksRunAtOnceFromTwoJobServers() throws Exception {
    int port = NodeProcesses.freePort();
    NodeProcesses.Started node =
        nodes.start(port, NodeProcesses.threadNode(2), NodeProcesses.SECRET);
    Task.Fn<String, String> v1 = greeter("v1");
    Task.Fn<String, String> v2 = greeter("v2");
    assertThat(v1.getClass()).isNotEqualTo(v2.getClass());
    first = serverOn(node);
    second = serverOn(node);
    List<String> inputs = List.of("ada", "bob", "cy");
    List<String> a = first.map(v1, inputs);
    List<String> b = second.map(v2, inputs);
    assertThat(a).containsExactly("v1:ada", "v1:bob", "v1:cy");
    assertThat(b).containsExactly("v2:ada", "v2:bob", "v2:cy");
    assertThat(first.submit(v1, "again").get(30, SECONDS)).isEqualTo("v1:again");
    try (var cached = Files.list(nodes.classCache())) {
      assertThat(cached.filter(p -> p.toString().endsWith(".jar")).count())
          .as("one jar per version in the node's cache")
          .isEqualTo(2);
    }
  }

  @Test
  void aNodeOnWorkerProcessesRunsShippedCodeInItsWorkers() throws Exception {
    int port = NodeProcesses.freePort();
    NodeProcesses.Started node =
        nodes.start(
            port,
            List.of("--workers", "1", "--secret-env", NodeProcesses.SECRET_VARIABLE),
            NodeProcesses.SECRET);
    first = serverOn(node);
    assertThat(first.submit(greeter("v3"), "dee").get(60, SECONDS)).isEqualTo("v3:dee");
  }
}
