package org.parallel4j;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run as a separate JVM, with a class path of jars, by {@link WorkerCacheEndToEndTest}: starts one
 * worker, asks it whether the start-up cache in {@code -Dparallel4j.workerCacheDir} is mapped into
 * its memory, and prints {@code mapped=true} or {@code mapped=false}.
 */
public final class CacheProbeMain {
  private CacheProbeMain() {}

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    String dir = System.getProperty("parallel4j.workerCacheDir");
    try (JobServer server = JobServer.processes(1)) {
      boolean mapped =
          server.submit(() -> Files.readString(Path.of("/proc/self/maps")).contains(dir)).get();
      System.out.println("mapped=" + mapped);
    }
  }
}
