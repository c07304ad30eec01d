package org.parallel4j.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.NamedParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The TLS context of a member: its own certificate and key, and the cluster's authority as the only
 * one it trusts. A peer whose certificate that authority did not sign is refused, and the refusal
 * names the peer's address ({@link #context}'s listener).
 */
final class Tls {
  static final String PROTOCOL = "TLSv1.3";
  private static final char[] IN_MEMORY = "parallel4j".toCharArray();
  private static final int PBKDF2_ITERATIONS = 210_000; // OWASP's figure for PBKDF2-HMAC-SHA256
  private static final String SALT = "parallel4j cluster authority v1: ";
  // derived authorities by cluster and the secret's digest: PBKDF2 costs a tenth of a second
  private static final Map<String, Authority> AUTHORITIES = new ConcurrentHashMap<>();

  /** A certificate authority: its certificate and its key. */
  record Authority(X509Certificate certificate, PrivateKey key) {}

  private Tls() {}

  /**
   * A TLS context for {@code security}, or null where it is insecure.
   *
   * @param cluster the cluster's name: it salts the authority a secret makes, so that guesses at a
   *     secret cannot be computed once for every cluster
   * @param refused told the peer's address and the reason for each peer refused at the handshake
   */
  static SSLContext context(
      ClusterSecurity security, String cluster, BiConsumer<String, String> refused) {
    try {
      KeyStore keys;
      char[] keyPassword;
      KeyStore trusted;
      switch (security.mode) {
        case SECRET -> {
          Authority authority = authority(security.secret, cluster);
          keys = memberStore(authority, "member");
          keyPassword = IN_MEMORY;
          trusted = trustStore(authority.certificate());
        }
        case CERTIFICATES -> {
          keys = load(security.keyStore, security.keyStorePassword);
          keyPassword = security.keyStorePassword;
          trusted = load(security.trustStore, security.trustStorePassword);
        }
        default -> {
          return null;
        }
      }
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, keyPassword);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trusted);
      X509ExtendedTrustManager trust = null;
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          trust = x;
        }
      }
      if (trust == null) {
        throw new IllegalStateException("this JDK offers no PKIX trust manager");
      }
      SSLContext context = SSLContext.getInstance(PROTOCOL);
      context.init(
          kmf.getKeyManagers(),
          new TrustManager[] {new Reporting(trust, security, refused)},
          new SecureRandom());
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(
          "cannot set up the cluster's TLS with " + security + ": " + e.getMessage(), e);
    }
  }

  /**
   * The authority that {@code secret} stands for in {@code cluster}: the same in every member that
   * knows both.
   */
  static Authority authority(char[] secret, String cluster) throws GeneralSecurityException {
    byte[] salt = (SALT + cluster).getBytes(StandardCharsets.UTF_8);
    String digest =
        cluster
            + ":"
            + HexFormat.of()
                .formatHex(
                    MessageDigest.getInstance("SHA-256")
                        .digest(new String(secret).getBytes(StandardCharsets.UTF_8)));
    Authority known = AUTHORITIES.get(digest);
    if (known != null) {
      return known;
    }
    byte[] seed =
        SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
            .generateSecret(new PBEKeySpec(secret, salt, PBKDF2_ITERATIONS, 256))
            .getEncoded();
    KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
    generator.initialize(NamedParameterSpec.ED25519, new SeedRandom(seed));
    KeyPair pair = generator.generateKeyPair();
    // fixed fields and Ed25519's deterministic signature: every member makes the same certificate
    X509Certificate certificate =
        authorityCertificate(
            pair,
            "CN=parallel4j cluster authority",
            BigInteger.ONE,
            Instant.parse("2020-01-01T00:00:00Z"),
            Instant.parse("2120-01-01T00:00:00Z"));
    Authority authority = new Authority(certificate, pair.getPrivate());
    Authority raced = AUTHORITIES.putIfAbsent(digest, authority);
    return raced == null ? authority : raced;
  }

  /** A new random authority, for {@code parallel4j certs init}. */
  static Authority newAuthority(String name, Duration validity) throws GeneralSecurityException {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Instant now = Instant.now();
    return new Authority(
        authorityCertificate(
            pair,
            "CN=" + name,
            new BigInteger(127, new SecureRandom()),
            now.minus(Duration.ofHours(1)),
            now.plus(validity)),
        pair.getPrivate());
  }

  /** A key store holding a new member key and its certificate, signed by {@code authority}. */
  static KeyStore memberStore(Authority authority, String name) throws GeneralSecurityException {
    return memberStore(authority, name, IN_MEMORY);
  }

  /** As {@link #memberStore(Authority, String)}, its key protected by {@code password}. */
  static KeyStore memberStore(Authority authority, String name, char[] password)
      throws GeneralSecurityException {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Instant now = Instant.now();
    X509Certificate certificate =
        sign(
            authority,
            pair.getPublic(),
            "CN=" + name,
            new BigInteger(127, new SecureRandom()),
            now.minus(Duration.ofHours(1)),
            now.plus(Duration.ofDays(3650)),
            false);
    KeyStore store = emptyStore();
    store.setKeyEntry(
        "member",
        pair.getPrivate(),
        password,
        new Certificate[] {certificate, authority.certificate()});
    return store;
  }

  static KeyStore trustStore(X509Certificate authority) throws GeneralSecurityException {
    KeyStore store = emptyStore();
    store.setCertificateEntry("cluster-authority", authority);
    return store;
  }

  /** A key store holding {@code authority}'s key and certificate, to sign more members later. */
  static KeyStore authorityStore(Authority authority, char[] password)
      throws GeneralSecurityException {
    KeyStore store = emptyStore();
    store.setKeyEntry(
        "cluster-authority",
        authority.key(),
        password,
        new Certificate[] {authority.certificate()});
    return store;
  }

  private static X509Certificate authorityCertificate(
      KeyPair pair, String name, BigInteger serial, Instant from, Instant until)
      throws GeneralSecurityException {
    return sign(
        new Authority(null, pair.getPrivate()), pair.getPublic(), name, serial, from, until, true);
  }

  private static X509Certificate sign(
      Authority issuer,
      PublicKey subjectKey,
      String subject,
      BigInteger serial,
      Instant from,
      Instant until,
      boolean isAuthority)
      throws GeneralSecurityException {
    X500Name subjectName = new X500Name(subject);
    X500Name issuerName =
        issuer.certificate() == null
            ? subjectName
            : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              issuerName, serial, Date.from(from), Date.from(until), subjectName, subjectKey);
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isAuthority));
      if (isAuthority) {
        builder.addExtension(
            Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(
            Extension.extendedKeyUsage,
            false,
            new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder("Ed25519").build(issuer.key())));
    } catch (OperatorCreationException | IOException e) {
      throw new GeneralSecurityException("cannot make a certificate for " + subject + ": " + e, e);
    }
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    return store;
  }

  private static KeyStore load(java.nio.file.Path file, char[] password)
      throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, password);
    }
    return store;
  }

  /** Hands Ed25519's key generator the seed it asks for, once, so the key follows the secret. */
  private static final class SeedRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private transient byte[] seed;

    SeedRandom(byte[] seed) {
      this.seed = seed;
    }

    @Override
    public synchronized void nextBytes(byte[] bytes) {
      if (seed == null || bytes.length != seed.length) {
        throw new IllegalStateException("the key generator asked for other random bytes");
      }
      System.arraycopy(seed, 0, bytes, 0, bytes.length);
      seed = null;
    }
  }

  /**
   * Checks peers with the PKIX trust manager and reports each refusal with the peer's address: a
   * wrong secret, or a certificate of another cluster, shows on both sides within the handshake.
   */
  private static final class Reporting extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;
    private final ClusterSecurity security;
    private final BiConsumer<String, String> refused;

    Reporting(
        X509ExtendedTrustManager delegate,
        ClusterSecurity security,
        BiConsumer<String, String> refused) {
      this.delegate = delegate;
      this.security = security;
      this.refused = refused;
    }

    private CertificateException refuse(String peer, CertificateException e) {
      String reason =
          "its certificate is not signed by this cluster's authority ("
              + (security.mode == ClusterSecurity.Mode.SECRET
                  ? "a different secret, or not a parallel4j member"
                  : "a certificate of another cluster")
              + "): "
              + e.getMessage();
      refused.accept(peer, reason);
      return e;
    }

    private static String peer(Socket socket) {
      return socket == null || socket.getRemoteSocketAddress() == null
          ? "an unknown peer"
          : Addresses.format(socket.getRemoteSocketAddress());
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        throw refuse(peer(socket), e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        throw refuse(peer(socket), e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw refuse(engine == null ? "an unknown peer" : engine.getPeerHost(), e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw refuse(engine == null ? "an unknown peer" : engine.getPeerHost(), e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
