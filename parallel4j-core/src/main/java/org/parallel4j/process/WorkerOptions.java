package org.parallel4j.process;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.parallel4j.spi.TaskBody;

/**
 * How worker processes are started and kept: set through {@code JobServer.builder()}.
 *
 * @param jvmArgs extra options for each worker JVM, such as {@code -Xmx256m}
 * @param classPath entries added after this JVM's class path
 * @param environment variables added to the workers' environment
 * @param directory the workers' working directory; {@code null} for this JVM's
 * @param initializer run once in each worker before its first task; {@code null} for none
 * @param maxTasksPerWorker tasks after which a worker is replaced by a fresh one; 0 for never
 */
public record WorkerOptions(
    List<String> jvmArgs,
    List<Path> classPath,
    Map<String, String> environment,
    Path directory,
    TaskBody initializer,
    int maxTasksPerWorker,
    long maxPayload) {

  /** The default bound on one argument or result, encoded: what one Java array can hold. */
  public static final long DEFAULT_MAX_PAYLOAD = Integer.MAX_VALUE - 1024;

  /** Validates and copies. */
  public WorkerOptions {
    jvmArgs = List.copyOf(jvmArgs);
    classPath = List.copyOf(classPath);
    environment = Map.copyOf(environment);
    if (maxTasksPerWorker < 0) {
      throw new IllegalArgumentException(
          "maxTasksPerWorker: " + maxTasksPerWorker + " (expected: >= 0, where 0 means never)");
    }
    if (maxPayload < 1 || maxPayload > DEFAULT_MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          "maxPayload: " + maxPayload + " (expected: 1 to " + DEFAULT_MAX_PAYLOAD + " bytes)");
    }
  }

  /** No extra options. */
  public static WorkerOptions defaults() {
    return new WorkerOptions(List.of(), List.of(), Map.of(), null, null, 0, DEFAULT_MAX_PAYLOAD);
  }

  /** These options with {@code jvmArgs}. */
  public WorkerOptions withJvmArgs(List<String> jvmArgs) {
    return new WorkerOptions(
        jvmArgs, classPath, environment, directory, initializer, maxTasksPerWorker, maxPayload);
  }

  /** These options with {@code classPath}. */
  public WorkerOptions withClassPath(List<Path> classPath) {
    return new WorkerOptions(
        jvmArgs, classPath, environment, directory, initializer, maxTasksPerWorker, maxPayload);
  }

  /** These options with {@code environment}. */
  public WorkerOptions withEnvironment(Map<String, String> environment) {
    return new WorkerOptions(
        jvmArgs, classPath, environment, directory, initializer, maxTasksPerWorker, maxPayload);
  }

  /** These options with {@code directory}. */
  public WorkerOptions withDirectory(Path directory) {
    return new WorkerOptions(
        jvmArgs,
        classPath,
        environment,
        Objects.requireNonNull(directory, "directory"),
        initializer,
        maxTasksPerWorker,
        maxPayload);
  }

  /** These options with {@code initializer}. */
  public WorkerOptions withInitializer(TaskBody initializer) {
    return new WorkerOptions(
        jvmArgs,
        classPath,
        environment,
        directory,
        Objects.requireNonNull(initializer, "initializer"),
        maxTasksPerWorker,
        maxPayload);
  }

  /** These options with {@code maxTasksPerWorker}. */
  public WorkerOptions withMaxTasksPerWorker(int maxTasksPerWorker) {
    return new WorkerOptions(
        jvmArgs, classPath, environment, directory, initializer, maxTasksPerWorker, maxPayload);
  }

  /** These options with {@code maxPayload}. */
  public WorkerOptions withMaxPayload(long maxPayload) {
    return new WorkerOptions(
        jvmArgs, classPath, environment, directory, initializer, maxTasksPerWorker, maxPayload);
  }
}
