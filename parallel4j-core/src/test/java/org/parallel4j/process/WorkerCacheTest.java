package org.parallel4j.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerCacheTest {
  @TempDir Path tmp;
  private String saved;

  @BeforeEach
  void pointTheCacheAtATemporaryDirectory() {
    saved = System.getProperty("parallel4j.workerCacheDir");
    System.setProperty("parallel4j.workerCacheDir", tmp.resolve("cache").toString());
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty("parallel4j.workerCacheDir");
    } else {
      System.setProperty("parallel4j.workerCacheDir", saved);
    }
  }

  @Test
  void aClassPathOfPlainJarsGetsACacheKeyedByTheJarsAndFlags() throws IOException {
    Path a = jar("a.jar", null, "x");
    Path b = jar("b.jar", null, "y");
    String cp = a + java.io.File.pathSeparator + b;
    WorkerCache cache = WorkerCache.locate(cp, List.of("-Xmx64m"));
    assertThat(cache).isNotNull();
    assertThat(cache.exists()).isFalse();
    assertThat(WorkerCache.locate(cp, List.of("-Xmx64m")).useArgs()).isEqualTo(cache.useArgs());
    assertThat(WorkerCache.locate(cp, List.of("-Xmx128m")).useArgs())
        .as("other flags, another cache")
        .isNotEqualTo(cache.useArgs());
    jar("b.jar", null, "a longer entry than before"); // rebuilt: another size
    assertThat(WorkerCache.locate(cp, List.of("-Xmx64m")).useArgs())
        .as("a rebuilt jar, another cache")
        .isNotEqualTo(cache.useArgs());
  }

  @Test
  void directoriesManifestClassPathsAndTheUsersOwnArchiveTurnItOff() throws IOException {
    Path plain = jar("plain.jar", null, "x");
    Path withClassPath = jar("cp.jar", "lib/other.jar", "x");
    assertThat(WorkerCache.locate(tmp.toString(), List.of())).isNull();
    assertThat(WorkerCache.locate(withClassPath.toString(), List.of())).isNull();
    assertThat(WorkerCache.locate(plain.toString(), List.of("-Xshare:off"))).isNull();
    assertThat(WorkerCache.locate(plain.toString(), List.of("-XX:SharedArchiveFile=/x.jsa")))
        .isNull();
    System.setProperty("parallel4j.workerCache", "false");
    try {
      assertThat(WorkerCache.locate(plain.toString(), List.of())).isNull();
    } finally {
      System.clearProperty("parallel4j.workerCache");
    }
  }

  @Test
  void aRecordingIsMovedIntoPlaceAndAFailedOneIsDropped() throws IOException {
    WorkerCache cache = WorkerCache.locate(jar("a.jar", null, "x").toString(), List.of());
    Path empty = cache.temp();
    Files.createFile(empty);
    cache.install(empty);
    assertThat(cache.exists()).as("an empty recording is not a cache").isFalse();
    assertThat(empty).doesNotExist();

    Path recorded = cache.temp();
    assertThat(recorded).as("each recording has a name of its own").isNotEqualTo(empty);
    Files.writeString(recorded, "archive bytes");
    cache.install(recorded);
    assertThat(cache.exists()).isTrue();
    assertThat(recorded).doesNotExist();
    try (Stream<Path> files = Files.list(tmp.resolve("cache"))) {
      assertThat(files).hasSize(1);
    }
  }

  @Test
  void pruningKeepsTheNewestCachesAndDropsStaleTemporaryFiles() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("prune"));
    long now = System.currentTimeMillis();
    for (int i = 0; i < WorkerCache.KEPT + 3; i++) {
      Path f = dir.resolve(String.format("worker-%016x.aot", i));
      Files.writeString(f, "cache " + i);
      Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(now - i * 60_000L));
    }
    Path staleTemp = dir.resolve("worker-0000000000000001.aot.123-4.config");
    Path freshTemp = dir.resolve("worker-0000000000000001.aot.123-5");
    Path notOurs = dir.resolve("someone-else.bin");
    for (Path f : List.of(staleTemp, freshTemp, notOurs)) {
      Files.writeString(f, "x");
    }
    Files.setLastModifiedTime(
        staleTemp, java.nio.file.attribute.FileTime.fromMillis(now - 7_200_000));
    Files.setLastModifiedTime(
        notOurs, java.nio.file.attribute.FileTime.fromMillis(now - 7_200_000));

    WorkerCache.prune(dir, now);

    for (int i = 0; i < WorkerCache.KEPT + 3; i++) {
      assertThat(dir.resolve(String.format("worker-%016x.aot", i)).toFile().exists())
          .as("cache %d", i)
          .isEqualTo(i < WorkerCache.KEPT);
    }
    assertThat(staleTemp).doesNotExist();
    assertThat(freshTemp).exists(); // may belong to a worker recording now
    assertThat(notOurs).exists();
  }

  private Path jar(String name, String classPath, String content) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    if (classPath != null) {
      manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
    }
    Path jar = tmp.resolve(name);
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out, manifest)) {
      j.putNextEntry(new JarEntry("content.txt"));
      j.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return jar;
  }
}
