package org.parallel4j.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * {@code parallel4j certs init DIR}: a new certificate authority for a cluster and certificates for
 * its members, in PKCS#12 stores that {@link ClusterSecurity#certificates(Path, Path, Path)} reads.
 * Keep {@code authority.p12} off the members: whoever has it can make members.
 *
 * <pre>
 * DIR/authority.p12   the authority's key and certificate (to make more members)
 * DIR/trust.p12       the authority's certificate alone: every member's trust store
 * DIR/member-N.p12    a member's key and certificate, N = 1..members
 * DIR/password        the stores' password (mode 0600)
 * </pre>
 */
public final class Certificates {
  static final Duration VALIDITY = Duration.ofDays(3650);

  private Certificates() {}

  /**
   * Makes the authority and {@code members} member stores in {@code dir}.
   *
   * @return the files written
   * @throws IllegalArgumentException when {@code members} is below 1
   * @throws IOException when a file exists already (nothing is overwritten) or cannot be written
   */
  public static List<Path> init(Path dir, int members) throws IOException {
    if (members < 1) {
      throw new IllegalArgumentException("members: " + members + " (expected: > 0)");
    }
    Files.createDirectories(dir);
    List<String> names = new ArrayList<>(List.of("password", "authority.p12", "trust.p12"));
    for (int i = 1; i <= members; i++) {
      names.add("member-" + i + ".p12");
    }
    for (String name : names) { // checked first: a half-written set would be worse than none
      if (Files.exists(dir.resolve(name))) {
        throw new FileAlreadyExistsException(
            dir.resolve(name) + " exists (certs init overwrites nothing)");
      }
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    char[] password = Base64.getEncoder().encodeToString(random).toCharArray();
    List<Path> written = new ArrayList<>();
    try {
      Tls.Authority authority = Tls.newAuthority("parallel4j cluster authority", VALIDITY);
      writeSecret(dir.resolve("password"), new String(password), written);
      write(
          dir.resolve("authority.p12"), Tls.authorityStore(authority, password), password, written);
      write(dir.resolve("trust.p12"), Tls.trustStore(authority.certificate()), password, written);
      for (int i = 1; i <= members; i++) {
        write(
            dir.resolve("member-" + i + ".p12"),
            Tls.memberStore(authority, "parallel4j member " + i, password),
            password,
            written);
      }
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot make the cluster's certificates: " + e.getMessage(), e);
    }
    return written;
  }

  private static void writeSecret(Path file, String text, List<Path> written) throws IOException {
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    written.add(file);
    Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
  }

  private static void write(Path file, KeyStore store, char[] password, List<Path> written)
      throws IOException, GeneralSecurityException {
    if (Files.exists(file)) {
      throw new FileAlreadyExistsException(file + " (certs init overwrites nothing)");
    }
    try (OutputStream out =
        Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      store.store(out, password);
    }
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    written.add(file);
  }
}
