package org.parallel4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class StatusCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void statusPrintsEveryNodeWithItsWorkersAndATotal(@TempDir Path dir) throws Exception {
    try (LocalNodes nodes = LocalNodes.start(2, 1, true)) {
      Path secret = dir.resolve("secret");
      Files.writeString(secret, nodes.secret() + "\n");
      Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
      int code =
          run(
              "status",
              "--peers",
              String.join(",", nodes.addresses()),
              "--secret-file",
              secret.toString());
      assertThat(code).as(err.toString()).isZero();
      for (String a : nodes.addresses()) {
        assertThat(out.toString()).containsPattern(a.replace(".", "\\.") + "\\s+1\\s+0\\s+0\\s+0");
      }
      assertThat(out.toString()).contains("2 nodes, 2 workers, 0 jobs running, 0 waiting");
    }
  }

  @Test
  void statusWithoutAWayToFindNodesSaysWhatIsMissing() {
    assertThat(run("status", "--insecure")).isEqualTo(1);
    assertThat(err.toString()).contains("the cluster needs nodes(");
  }
}
