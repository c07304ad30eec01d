package org.parallel4j.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * How the members of a cluster (nodes and job servers) prove to each other that they belong to it.
 * Credentials are the right to run code on the cluster: any member can submit tasks, and a task
 * runs with the rights of the node's user. Every connection between two members is mutual TLS 1.3,
 * so nothing a peer sends is read before it has shown a certificate of the cluster; a peer that
 * cannot is refused at the handshake, and both sides log its address.
 *
 * <ul>
 *   <li>{@link #secret}: a shared secret (Parallel Python's {@code -s}), read from a file or an
 *       environment variable, never from a command line that {@code ps} shows. Each member derives
 *       the cluster's certificate authority from it (PBKDF2, then an Ed25519 key) and signs a
 *       certificate of its own with it, so a member without the secret cannot make a certificate
 *       the others accept.
 *   <li>{@link #certificates}: a key store and a trust store of your own, such as those that {@code
 *       parallel4j certs init} makes.
 *   <li>{@link #insecure}: no authentication and no encryption, for a trusted network only; every
 *       member that runs so logs a warning.
 * </ul>
 */
public final class ClusterSecurity {
  enum Mode {
    SECRET,
    CERTIFICATES,
    INSECURE
  }

  /** A secret shorter than this is refused: it could be guessed offline from a captured cert. */
  static final int MIN_SECRET_LENGTH = 16;

  final Mode mode;
  final char[] secret; // SECRET
  final Path keyStore; // CERTIFICATES
  final char[] keyStorePassword;
  final Path trustStore;
  final char[] trustStorePassword;
  private final String source; // where the credentials came from, for messages

  private ClusterSecurity(
      Mode mode,
      char[] secret,
      Path keyStore,
      char[] keyStorePassword,
      Path trustStore,
      char[] trustStorePassword,
      String source) {
    this.mode = mode;
    this.secret = secret;
    this.keyStore = keyStore;
    this.keyStorePassword = keyStorePassword;
    this.trustStore = trustStore;
    this.trustStorePassword = trustStorePassword;
    this.source = source;
  }

  /**
   * A shared secret, given directly (from a password prompt or a secret store, say).
   *
   * @throws IllegalArgumentException when it is shorter than 16 characters
   */
  public static ClusterSecurity secret(char[] secret) {
    Objects.requireNonNull(secret, "secret");
    return ofSecret(secret.clone(), "a secret given in code");
  }

  /**
   * The shared secret in the first line of {@code file} (trailing white space removed).
   *
   * @throws IllegalArgumentException when the file cannot be read, or its secret is shorter than 16
   *     characters
   */
  public static ClusterSecurity secretFile(Path file) {
    Objects.requireNonNull(file, "file");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the cluster secret from " + file + ": " + e, e);
    }
    int end = text.indexOf('\n');
    String line = (end < 0 ? text : text.substring(0, end)).strip();
    return ofSecret(line.toCharArray(), "the secret file " + file);
  }

  /**
   * The shared secret in environment variable {@code variable}.
   *
   * @throws IllegalArgumentException when it is not set, or shorter than 16 characters
   */
  public static ClusterSecurity secretFromEnvironment(String variable) {
    Objects.requireNonNull(variable, "variable");
    String value = System.getenv(variable);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(
          "the environment variable " + variable + " holds no cluster secret");
    }
    return ofSecret(value.strip().toCharArray(), "the environment variable " + variable);
  }

  /**
   * Certificates of your own: a PKCS#12 key store with this member's key and certificate chain, and
   * a PKCS#12 trust store with the cluster's certificate authority. Members trust exactly the
   * certificates that authority signed.
   */
  public static ClusterSecurity certificates(
      Path keyStore, char[] keyStorePassword, Path trustStore, char[] trustStorePassword) {
    Objects.requireNonNull(keyStore, "keyStore");
    Objects.requireNonNull(keyStorePassword, "keyStorePassword");
    Objects.requireNonNull(trustStore, "trustStore");
    Objects.requireNonNull(trustStorePassword, "trustStorePassword");
    return new ClusterSecurity(
        Mode.CERTIFICATES,
        null,
        keyStore,
        keyStorePassword.clone(),
        trustStore,
        trustStorePassword.clone(),
        "the key store " + keyStore);
  }

  /**
   * Certificates of your own, one password for both stores in the first line of {@code
   * passwordFile}: what {@code parallel4j certs init} makes ({@code member-N.p12}, {@code
   * trust.p12}, {@code password}).
   *
   * @throws IllegalArgumentException when the password file cannot be read
   */
  public static ClusterSecurity certificates(Path keyStore, Path trustStore, Path passwordFile) {
    Objects.requireNonNull(passwordFile, "passwordFile");
    String text;
    try {
      text = Files.readString(passwordFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the password file " + passwordFile + ": " + e, e);
    }
    int end = text.indexOf('\n');
    char[] password = (end < 0 ? text : text.substring(0, end)).strip().toCharArray();
    return certificates(keyStore, password, trustStore, password);
  }

  /**
   * No authentication and no encryption: anyone who reaches a node's port can run code there. For a
   * network you trust entirely; each member logs a warning.
   */
  public static ClusterSecurity insecure() {
    return new ClusterSecurity(Mode.INSECURE, null, null, null, null, null, "--insecure");
  }

  private static ClusterSecurity ofSecret(char[] secret, String source) {
    if (secret.length < MIN_SECRET_LENGTH) {
      Arrays.fill(secret, '\0');
      throw new IllegalArgumentException(
          "the cluster secret from "
              + source
              + " has fewer than "
              + MIN_SECRET_LENGTH
              + " characters: use a long random one, such as the output of"
              + " 'openssl rand -base64 32'");
    }
    return new ClusterSecurity(Mode.SECRET, secret, null, null, null, null, source);
  }

  /** Whether members authenticate and encrypt. */
  public boolean isSecure() {
    return mode != Mode.INSECURE;
  }

  @Override
  public String toString() {
    return switch (mode) {
      case SECRET -> "shared secret from " + source;
      case CERTIFICATES -> "certificates from " + source;
      case INSECURE -> "insecure (no authentication, no encryption)";
    };
  }
}
