package org.parallel4j.cli;

import java.util.ArrayList;
import java.util.List;
import org.parallel4j.JobServer;

/**
 * The engines a job server runs its jobs on, by the names the command line and the bench's rows
 * spell them: {@code threads}, {@code virtual} and {@code processes}. A name that is none of these
 * is refused, never taken for a default.
 */
public enum Engine {
  /** A fixed number of platform threads. */
  THREADS("threads"),
  /** A virtual thread per job. */
  VIRTUAL("virtual"),
  /** A fixed number of worker processes. */
  PROCESSES("processes");

  private final String label;

  Engine(String label) {
    this.label = label;
  }

  /** The name, as the command line and the bench's rows spell it: {@code threads}. */
  public String label() {
    return label;
  }

  /** The same as {@link #label()}. */
  @Override
  public String toString() {
    return label;
  }

  /** The accepted names, in order: {@code threads, virtual, processes}. */
  public static String names() {
    List<String> names = new ArrayList<>();
    for (Engine e : values()) {
      names.add(e.label);
    }
    return String.join(", ", names);
  }

  /**
   * The engine called {@code name}.
   *
   * @throws IllegalArgumentException naming {@code name} and the accepted names, when it is none of
   *     them: {@code engine: gpu (expected: threads, virtual, processes)}
   */
  public static Engine of(String name) {
    return of("engine", name);
  }

  /**
   * The engine called {@code name}, which {@code what} (an option, say) gave.
   *
   * @throws IllegalArgumentException naming {@code what}, {@code name} and the accepted names, when
   *     it is none of them: {@code --engine: gpu (expected: threads, virtual, processes)}
   */
  public static Engine of(String what, String name) {
    for (Engine e : values()) {
      if (e.label.equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException(what + ": " + name + " (expected: " + names() + ")");
  }

  /**
   * A new server on this engine: {@code workers} threads or processes; for virtual threads, one per
   * job, whatever {@code workers} says.
   */
  public JobServer server(int workers) {
    return builder(workers).build();
  }

  /** A builder of such a server, for more options. */
  public org.parallel4j.JobServerBuilder builder(int workers) {
    return switch (this) {
      case THREADS -> JobServer.builder().threads(workers);
      case VIRTUAL -> JobServer.builder().virtualThreads();
      case PROCESSES -> JobServer.builder().processes(workers);
    };
  }
}
