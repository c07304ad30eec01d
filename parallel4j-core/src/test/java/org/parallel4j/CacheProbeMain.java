package org.parallel4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * Run as a separate JVM, with a class path of jars, by {@link WorkerCacheEndToEndTest}: starts two
 * pools of one worker at once (before a cache exists, both record one), asks each worker whether
 * the start-up cache in {@code -Dparallel4j.workerCacheDir} is mapped into its memory, and prints
 * {@code mapped=true} or {@code mapped=false} when both agree.
 */
public final class CacheProbeMain {
  private CacheProbeMain() {}

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    String dir = System.getProperty("parallel4j.workerCacheDir");
    CompletableFuture<JobServer> first =
        CompletableFuture.supplyAsync(() -> JobServer.processes(1));
    CompletableFuture<JobServer> second =
        CompletableFuture.supplyAsync(() -> JobServer.processes(1));
    try (JobServer a = first.get();
        JobServer b = second.get()) {
      boolean inA =
          a.submit(() -> Files.readString(Path.of("/proc/self/maps")).contains(dir)).get();
      boolean inB =
          b.submit(() -> Files.readString(Path.of("/proc/self/maps")).contains(dir)).get();
      System.out.println(inA == inB ? "mapped=" + inA : "mapped differs: " + inA + ", " + inB);
    }
  }
}
