package org.parallel4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up cache for worker processes, for real: a JVM whose class path is made of jars starts
 * a pool twice; the first pool records the cache as its worker exits, and the second pool's worker
 * has it mapped into its memory (read from {@code /proc/PID/maps}, so Linux only).
 */
class WorkerCacheEndToEndTest {
  @TempDir Path tmp;

  @Test
  void theFirstPoolRecordsTheCacheAndTheNextStartsWithIt() throws Exception {
    assumeThat(Path.of("/proc/self/maps")).exists();
    List<String> classPath = new ArrayList<>();
    classPath.add(
        jarOf(
            Path.of(JobServer.class.getProtectionDomain().getCodeSource().getLocation().toURI()),
            "core.jar"));
    classPath.add(
        jarOf(
            Path.of(
                CacheProbeMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()),
            "tests.jar"));
    for (Class<?> c :
        List.of(
            com.esotericsoftware.kryo.Kryo.class,
            org.objenesis.Objenesis.class,
            com.esotericsoftware.minlog.Log.class,
            com.esotericsoftware.reflectasm.FieldAccess.class)) {
      classPath.add(
          Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    }
    Path cache = tmp.resolve("cache");

    assertThat(probe(classPath, cache)).isEqualTo("mapped=false");
    try (Stream<Path> files = Files.list(cache)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("one cache file, no temporary left")
          .singleElement()
          .satisfies(name -> assertThat(name).startsWith("worker-").matches(".*\\.(aot|jsa)"));
    }
    assertThat(probe(classPath, cache)).isEqualTo("mapped=true");
  }

  private String probe(List<String> classPath, Path cache)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dparallel4j.workerCacheDir=" + cache,
                "-cp",
                String.join(java.io.File.pathSeparator, classPath),
                CacheProbeMain.class.getName())
            .redirectErrorStream(true)
            .start();
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("probe ended").isTrue();
    } finally {
      p.destroyForcibly(); // our own child, by its handle; a no-op once it has exited
    }
    assertThat(p.exitValue()).as(out).isZero();
    return out.lines().filter(l -> l.startsWith("mapped=")).findFirst().orElse(out);
  }

  /** A jar of the classes under {@code dir} (a build's output directory). */
  private String jarOf(Path dir, String name) throws IOException {
    Path jar = tmp.resolve(name);
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out);
        Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        j.putNextEntry(new JarEntry(dir.relativize(f).toString().replace('\\', '/')));
        Files.copy(f, j);
        j.closeEntry();
      }
    }
    return jar.toString();
  }
}
