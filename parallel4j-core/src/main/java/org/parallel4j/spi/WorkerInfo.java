package org.parallel4j.spi;

import java.util.Objects;

/**
 * One worker of a backend as the dashboard shows it ({@link Backend#workerInfo()}): a snapshot,
 * cheap to make.
 *
 * @param name the worker's name, as where a job ran shows it
 * @param state a word for its state: {@code starting}, {@code idle}, {@code busy}, {@code
 *     retiring}, {@code suspected} ...
 * @param pid its process id, or {@code -1} when it has none here (a remote node's)
 * @param running the jobs it holds now (running, or waiting in its pipeline)
 * @param cpuNanos the CPU time it has used, or {@code -1} when unknown (the dashboard then reads it
 *     from {@code pid} where that is a process of this machine)
 * @param rssBytes its resident memory, or {@code -1} when unknown (read from {@code pid} as above)
 */
public record WorkerInfo(
    String name, String state, long pid, int running, long cpuNanos, long rssBytes) {
  /** Checks the names. */
  public WorkerInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
  }

  /** A worker whose CPU time and memory the dashboard reads from its pid, if it has one. */
  public WorkerInfo(String name, String state, long pid, int running) {
    this(name, state, pid, running, -1, -1);
  }
}
