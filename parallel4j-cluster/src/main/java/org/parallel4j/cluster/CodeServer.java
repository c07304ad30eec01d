package org.parallel4j.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The job server's side of class shipping: given a class name a node lacks, finds where the class
 * came from (a jar, or a directory of classes) through the class loaders of the tasks submitted,
 * and offers that whole code source as one jar, named by the SHA-256 of its bytes. A whole source,
 * not one class: the classes a task's code reaches only when it runs, in a worker process of the
 * node, must be there too. Thread-safe.
 */
final class CodeServer {
  /** The most class loaders remembered: tasks from more are served through the first ones. */
  private static final int MAX_LOADERS = 64;

  /** A code source as a jar. */
  record Jar(String hash, byte[] bytes) {}

  private final List<ClassLoader> loaders = new CopyOnWriteArrayList<>();
  private final Set<ClassLoader> seen = ConcurrentHashMap.newKeySet();
  private volatile ClassLoader last;
  private final Map<Path, Jar> bySource = new ConcurrentHashMap<>();
  private final Map<String, Jar> byHash = new ConcurrentHashMap<>();

  CodeServer() {
    remember(Thread.currentThread().getContextClassLoader());
    remember(ClassLoader.getSystemClassLoader());
  }

  /** Remembers where {@code type}'s classes come from. Cheap after the first call per loader. */
  void remember(Class<?> type) {
    if (type != null) {
      remember(type.getClassLoader());
    }
  }

  /**
   * Remembers where {@code task}'s classes come from: its own, and for a task of parallel4j's own
   * that wraps the user's (a chunk of {@code map}), the classes of the values it holds.
   */
  void rememberTask(Object task) {
    remember(task.getClass());
    if (task instanceof Record r && r.getClass().getName().startsWith("org.parallel4j.")) {
      for (java.lang.reflect.RecordComponent c : r.getClass().getRecordComponents()) {
        try {
          java.lang.reflect.Method accessor = c.getAccessor();
          accessor.setAccessible(true);
          Object value = accessor.invoke(r);
          if (value != null) {
            remember(value.getClass());
          }
        } catch (ReflectiveOperationException | RuntimeException e) {
          // not reachable: the class is found through the other loaders, or not at all
        }
      }
    }
  }

  private void remember(ClassLoader loader) {
    if (loader == last) {
      return; // the common case: job after job from one loader, at submit
    }
    last = loader;
    if (loader != null && seen.size() < MAX_LOADERS && seen.add(loader)) {
      loaders.add(0, loader); // the latest first: a task's own loader before the system's
    }
  }

  /** The code source that holds class {@code name}, as a jar; null when none is known here. */
  Jar sourceOf(String name) throws IOException {
    if (name.isEmpty() || name.startsWith("java.") || name.contains("/")) {
      return null;
    }
    String resource = name.replace('.', '/') + ".class";
    for (ClassLoader loader : loaders) {
      URL url = loader.getResource(resource);
      if (url != null) {
        Path source = root(url, resource);
        if (source != null) {
          return packaged(source);
        }
      }
    }
    return null;
  }

  /** A jar offered before, by its hash; null when none was. */
  Jar byHash(String hash) {
    return byHash.get(hash);
  }

  private static Path root(URL url, String resource) throws IOException {
    try {
      switch (url.getProtocol()) {
        case "file" -> {
          Path file = Path.of(url.toURI());
          Path root = file;
          for (int i = resource.split("/").length; i > 0; i--) {
            root = root.getParent();
          }
          return root;
        }
        case "jar" -> {
          JarURLConnection c = (JarURLConnection) url.openConnection();
          URL jar = c.getJarFileURL();
          return "file".equals(jar.getProtocol()) ? Path.of(jar.toURI()) : null;
        }
        default -> {
          return null;
        }
      }
    } catch (URISyntaxException e) {
      throw new IOException("cannot read " + url + ": " + e.getMessage(), e);
    }
  }

  private Jar packaged(Path source) {
    return bySource.computeIfAbsent(
        source,
        s -> {
          try {
            byte[] bytes = Files.isDirectory(s) ? zip(s) : Files.readAllBytes(s);
            Jar jar = new Jar(sha256(bytes), bytes);
            byHash.put(jar.hash(), jar);
            return jar;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /** The directory's files as a jar, in name order, with fixed times: the same bytes each time. */
  private static byte[] zip(Path dir) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes);
        Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        ZipEntry e = new ZipEntry(dir.relativize(f).toString().replace('\\', '/'));
        e.setTime(0);
        zip.putNextEntry(e);
        Files.copy(f, zip);
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }
}
