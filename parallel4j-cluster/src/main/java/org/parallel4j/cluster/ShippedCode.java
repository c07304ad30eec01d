package org.parallel4j.cluster;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The node's side of class shipping, one per job server session: a class loader that finds a class
 * the node lacks by asking the session's job server which code source holds it (a jar named by the
 * SHA-256 of its bytes), and fetching that jar unless the node's cache on disk has it. Each session
 * has its own loader, so two job servers with different versions of one class do not collide; the
 * loader goes with its session. Classes the node has on its own class path are always its own.
 */
final class ShippedCode extends URLClassLoader {
  static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

  /** Asks the job server: where does class {@code name} come from; which jar has {@code hash}. */
  interface Server {
    void askSource(String name);

    void askJar(String hash);
  }

  private final Server server;
  private final Path cache;
  private final Map<String, CompletableFuture<String>> sources = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<byte[]>> jars = new ConcurrentHashMap<>();
  private final List<Path> added = new ArrayList<>(); // guarded by this
  private volatile int generation; // grows with each jar added

  static {
    registerAsParallelCapable();
  }

  ShippedCode(Server server, Path cache, ClassLoader parent) {
    super(new URL[0], parent);
    this.server = server;
    this.cache = cache;
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    try {
      return super.findClass(name);
    } catch (ClassNotFoundException missing) {
      try {
        if (!fetch(name)) {
          throw missing;
        }
      } catch (IOException e) {
        throw new ClassNotFoundException(
            name + " is not on this node, and its job server's copy cannot be had: " + e, e);
      }
      return super.findClass(name);
    }
  }

  /** Fetches the source of {@code name}; false when the job server has none either. */
  private synchronized boolean fetch(String name) throws IOException {
    CompletableFuture<String> asked = new CompletableFuture<>();
    sources.put(name, asked); // before asking: the answer may come at once
    server.askSource(name);
    String hash = await(asked, "the source of " + name);
    sources.remove(name);
    if (hash.isEmpty()) {
      return false;
    }
    Path jar = cache.resolve(hash + ".jar");
    if (added.contains(jar)) {
      return false; // the source is here already, without that class
    }
    if (Files.isRegularFile(jar) && CodeServer.sha256(Files.readAllBytes(jar)).equals(hash)) {
      Files.setLastModifiedTime(jar, FileTime.from(Instant.now())); // its age is its last use
    } else {
      CompletableFuture<byte[]> f = new CompletableFuture<>();
      jars.put(hash, f);
      server.askJar(hash);
      byte[] bytes = await(f, "jar " + hash);
      jars.remove(hash);
      if (!CodeServer.sha256(bytes).equals(hash)) {
        throw new IOException("the job server sent a jar that is not " + hash);
      }
      Files.createDirectories(cache);
      Path part = Files.createTempFile(cache, hash, ".part");
      Files.write(part, bytes);
      Files.move(part, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    try {
      addURL(jar.toUri().toURL());
    } catch (MalformedURLException e) {
      throw new IOException(e);
    }
    added.add(jar);
    generation++;
    return true;
  }

  private static <T> T await(CompletableFuture<T> f, String what) throws IOException {
    try {
      return f.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException(
          "no answer for " + what + " within " + ANSWER_TIMEOUT.toSeconds() + " s");
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException(String.valueOf(e.getCause().getMessage()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for " + what, e);
    }
  }

  /** The job server's answer: class {@code name} is in jar {@code hash}; empty for nowhere. */
  void source(String name, String hash) {
    CompletableFuture<String> f = sources.get(name);
    if (f != null) {
      f.complete(hash);
    }
  }

  /** The job server's answer: the bytes of jar {@code hash}. */
  void jar(String hash, byte[] bytes) {
    CompletableFuture<byte[]> f = jars.get(hash);
    if (f != null) {
      f.complete(bytes);
    }
  }

  /** The session ended: whoever waits for an answer is told. */
  void abandon(String why) {
    IOException e = new IOException(why);
    sources.values().forEach(f -> f.completeExceptionally(e));
    jars.values().forEach(f -> f.completeExceptionally(e));
  }

  /** How many jars were added: a session whose code grew starts worker processes that see it. */
  int generation() {
    return generation;
  }

  synchronized List<Path> jars() {
    return List.copyOf(added);
  }

  /**
   * Keeps the cache within bounds: removes jars unused for {@code maxAge}, then the least recently
   * used until the rest take at most {@code maxBytes}.
   */
  static void evict(Path cache, Duration maxAge, long maxBytes) throws IOException {
    if (!Files.isDirectory(cache)) {
      return;
    }
    List<Path> kept = new ArrayList<>();
    Instant oldest = Instant.now().minus(maxAge);
    try (Stream<Path> files = Files.list(cache)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (!f.toString().endsWith(".jar")) {
          continue;
        }
        if (Files.getLastModifiedTime(f).toInstant().isBefore(oldest)) {
          Files.deleteIfExists(f);
        } else {
          kept.add(f);
        }
      }
    }
    kept.sort(Comparator.comparing(ShippedCode::lastUse).reversed());
    long total = 0;
    for (Path f : kept) {
      total += Files.size(f);
      if (total > maxBytes) {
        Files.deleteIfExists(f);
      }
    }
  }

  private static Instant lastUse(Path f) {
    try {
      return Files.getLastModifiedTime(f).toInstant();
    } catch (IOException e) {
      return Instant.EPOCH;
    }
  }
}
