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

class CertsCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void initWritesAnAuthorityATrustStoreAndMembersPrivatelyAndOverwritesNothing(@TempDir Path dir)
      throws Exception {
    Path certs = dir.resolve("certs");
    assertThat(run("certs", "init", certs.toString(), "--members", "3")).isZero();
    for (String f :
        new String[] {"authority.p12", "trust.p12", "member-1.p12", "member-3.p12", "password"}) {
      assertThat(certs.resolve(f)).exists();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certs.resolve(f))))
          .as(f)
          .isEqualTo("rw-------");
    }
    assertThat(out.toString()).contains("wrote " + certs.resolve("member-2.p12"));
    assertThat(run("certs", "init", certs.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("overwrites nothing");
    assertThat(run("certs", "init", dir.resolve("other").toString(), "--members", "0"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("members: 0 (expected: > 0)");
  }
}
