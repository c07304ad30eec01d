package org.parallel4j.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.jar.JarFile;

/**
 * A class-data cache that makes worker JVMs start faster: on JDK 25 and later an AOT cache (JEP
 * 483/514: classes loaded and linked, lambda forms, method profiles), on JDK 21 to 24 a dynamic
 * AppCDS archive. Measured here, a worker's first Kryo lambda round trip takes 77 ms cold, 30 ms
 * with the CDS archive and 17 ms with the AOT cache.
 *
 * <p>The first pool that finds no cache lets one of its workers record one as it exits (the JVM
 * writes it to a temporary file, which is then moved into place); later pools start every worker
 * with it. The cache lives in {@code $XDG_CACHE_HOME/parallel4j} (else {@code ~/.cache/parallel4j},
 * or {@code -Dparallel4j.workerCacheDir}), one file per JDK, class path (with each jar's size and
 * time) and worker flags, so a rebuilt jar or another JDK gets a cache of its own. It is used only
 * when the class path is made of jars without {@code Class-Path} manifest entries (the JVM archives
 * nothing from directories); {@code -Dparallel4j.workerCache=false} turns it off.
 */
final class WorkerCache {
  private static final List<String> LOG_OFF_AOT = List.of("-Xlog:aot*=off,cds*=off");
  private static final List<String> LOG_OFF_CDS = List.of("-Xlog:cds*=off");

  private final Path file;
  private final boolean aot;

  private WorkerCache(Path file, boolean aot) {
    this.file = file;
    this.aot = aot;
  }

  /**
   * The cache for workers started with {@code classPath} and {@code jvmArgs}, or {@code null} when
   * none can be used.
   */
  static WorkerCache locate(String classPath, List<String> jvmArgs) {
    if (!Boolean.parseBoolean(System.getProperty("parallel4j.workerCache", "true"))) {
      return null;
    }
    for (String arg : jvmArgs) {
      if (arg.contains("SharedArchiveFile")
          || arg.contains("AOTCache")
          || arg.contains("ArchiveClassesAtExit")
          || arg.startsWith("-Xshare")) {
        return null; // the user chose their own
      }
    }
    Path dir = directory();
    if (dir == null) {
      return null;
    }
    try {
      Key digest = new Key();
      digest.add(System.getProperty("java.home"));
      digest.add(System.getProperty("java.vm.version"));
      for (String arg : jvmArgs) {
        digest.add(arg);
      }
      for (String entry : classPath.split(File.pathSeparator)) {
        Path jar = Path.of(entry);
        if (!entry.endsWith(".jar") || !Files.isRegularFile(jar) || hasClassPathEntries(jar)) {
          return null;
        }
        digest.add(jar.toAbsolutePath().toString());
        digest.add(Long.toString(Files.size(jar)));
        digest.add(Long.toString(Files.getLastModifiedTime(jar).toMillis()));
      }
      String key = String.format("%016x", digest.hash);
      boolean aot = Runtime.version().feature() >= 25;
      Files.createDirectories(dir);
      return new WorkerCache(dir.resolve("worker-" + key + (aot ? ".aot" : ".jsa")), aot);
    } catch (IOException | RuntimeException e) {
      return null; // no cache: workers start as they would without one
    }
  }

  private static Path directory() {
    String chosen = System.getProperty("parallel4j.workerCacheDir");
    if (chosen != null && !chosen.isBlank()) {
      return Path.of(chosen);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "parallel4j");
    }
    String home = System.getProperty("user.home");
    return home == null || home.isBlank() ? null : Path.of(home, ".cache", "parallel4j");
  }

  /**
   * The cache's name: a 64-bit FNV-1a hash of what the cache depends on. Not a cryptographic one:
   * the JVM checks a cache against its class path and refuses one that does not match, and the
   * JDK's SHA-256 cost a fresh JVM 40 ms to set up (its security providers) on this path.
   */
  private static final class Key {
    long hash = 0xcbf29ce484222325L;

    void add(String s) {
      for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
        hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
      }
      hash = (hash ^ 0xff) * 0x100000001b3L; // a separator no UTF-8 text holds
    }
  }

  private static boolean hasClassPathEntries(Path jar) throws IOException {
    try (JarFile j = new JarFile(jar.toFile())) {
      var manifest = j.getManifest();
      return manifest != null && manifest.getMainAttributes().getValue("Class-Path") != null;
    }
  }

  /** Whether the cache has been recorded. */
  boolean exists() {
    return Files.isRegularFile(file);
  }

  /** Options for a worker that starts with the cache. */
  List<String> useArgs() {
    return aot
        ? List.of(LOG_OFF_AOT.get(0), "-XX:AOTCache=" + file)
        : List.of(LOG_OFF_CDS.get(0), "-XX:SharedArchiveFile=" + file);
  }

  /** Options for a worker that records the cache into {@code temp} as it exits. */
  List<String> recordArgs(Path temp) {
    String recording = "-D" + WorkerMain.RECORDING_PROPERTY + "=true";
    return aot
        ? List.of(LOG_OFF_AOT.get(0), "-XX:AOTCacheOutput=" + temp, recording)
        : List.of(LOG_OFF_CDS.get(0), "-XX:ArchiveClassesAtExit=" + temp, recording);
  }

  private static final java.util.concurrent.atomic.AtomicLong TEMPS =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * A temporary file for a worker to record into, of a name no other recording of this JVM or
   * another has: two pools started at once before the cache exists each record one (the JVM's
   * recording writes beside it too, so a shared name failed one of the workers).
   */
  Path temp() {
    return file.resolveSibling(
        file.getFileName() + "." + ProcessHandle.current().pid() + "-" + TEMPS.incrementAndGet());
  }

  /**
   * Moves what a worker recorded into place, once it has exited; a failed recording is dropped.
   * Then prunes the directory: each rebuilt jar gets a cache of its own, so only the {@value #KEPT}
   * most recently recorded are kept, and temporary files that a killed worker left behind go after
   * an hour.
   */
  void install(Path temp) {
    try {
      if (Files.isRegularFile(temp) && Files.size(temp) > 0) {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      // no cache this time
    } finally {
      try {
        Files.deleteIfExists(temp);
        Files.deleteIfExists(Path.of(temp + ".config")); // an AOT recording's leftover, if any
      } catch (IOException e) {
        // a stray temporary file in the cache directory
      }
      prune(file.getParent(), System.currentTimeMillis());
    }
  }

  static final int KEPT = 8;
  private static final long STALE_MILLIS = 3_600_000;

  /** Keeps the {@link #KEPT} newest caches in {@code dir} and drops stale temporary files. */
  static void prune(Path dir, long now) {
    List<Path> caches = new java.util.ArrayList<>();
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (!name.startsWith("worker-")) {
          continue; // not ours
        }
        if (name.matches("worker-[0-9a-f]{16}\\.(aot|jsa)")) {
          caches.add(f);
        } else if (now - Files.getLastModifiedTime(f).toMillis() > STALE_MILLIS) {
          Files.deleteIfExists(f);
        }
      }
      caches.sort(
          java.util.Comparator.comparingLong(
                  (Path f) -> {
                    try {
                      return Files.getLastModifiedTime(f).toMillis();
                    } catch (IOException e) {
                      return 0L;
                    }
                  })
              .reversed());
      for (Path old : caches.subList(Math.min(KEPT, caches.size()), caches.size())) {
        Files.deleteIfExists(old);
      }
    } catch (IOException | RuntimeException e) {
      // pruning is best effort: a cache directory that grows is no failure
    }
  }

  /**
   * Whether {@code line}, from a recording worker's standard output, is the JVM reporting on the
   * recording rather than something a task printed.
   */
  static boolean isRecordingChatter(String line) {
    return line.startsWith("Temporary AOTConfiguration recorded")
        || line.startsWith("Launching child process")
        || line.startsWith("Picked up JAVA_TOOL_OPTIONS")
        || line.startsWith("Reading AOTConfiguration")
        || line.startsWith("AOTCache creation is complete")
        || line.startsWith("Removed temporary AOT configuration");
  }
}
