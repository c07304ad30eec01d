package org.parallel4j.loops;

/**
 * How a {@link Parallel} loop divides its index range among threads, with OpenMP's meaning.
 * Immutable.
 *
 * <ul>
 *   <li>{@link #STATIC}: one contiguous block per thread, of equal size (OpenMP {@code
 *       schedule(static)}). The least overhead; best when every iteration costs the same.
 *   <li>{@link #staticChunks(int) staticChunks(c)}: chunks of {@code c} dealt round-robin, chunk
 *       {@code i} to thread slot {@code i % threads} ({@code schedule(static, c)}).
 *   <li>{@link #dynamic(int) dynamic(c)}: chunks of {@code c} handed out from a shared counter to
 *       whichever thread is free ({@code schedule(dynamic, c)}). For uneven iterations.
 *   <li>{@link #guided(int) guided(m)}: chunks that shrink as the range is used up, each about the
 *       remaining iterations divided by the threads, never below {@code m} ({@code schedule(guided,
 *       m)}). Fewer hand-outs than dynamic, still balanced at the end.
 * </ul>
 */
public final class Schedule {
  enum Kind {
    STATIC,
    STATIC_CHUNKS,
    DYNAMIC,
    GUIDED
  }

  /** Equal contiguous blocks, one per thread. */
  public static final Schedule STATIC = new Schedule(Kind.STATIC, 0);

  private final Kind kind;
  private final int chunk;

  private Schedule(Kind kind, int chunk) {
    this.kind = kind;
    this.chunk = chunk;
  }

  /** Chunks of {@code chunk} iterations dealt round-robin to the threads. */
  public static Schedule staticChunks(int chunk) {
    return new Schedule(Kind.STATIC_CHUNKS, check("chunk", chunk));
  }

  /** Chunks of {@code chunk} iterations handed out on demand. */
  public static Schedule dynamic(int chunk) {
    return new Schedule(Kind.DYNAMIC, check("chunk", chunk));
  }

  /** Shrinking chunks, never below {@code minChunk} iterations. */
  public static Schedule guided(int minChunk) {
    return new Schedule(Kind.GUIDED, check("minChunk", minChunk));
  }

  private static int check(String what, int value) {
    checkPositive(what, value);
    return value;
  }

  Kind kind() {
    return kind;
  }

  int chunk() {
    return chunk;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Schedule s && s.kind == kind && s.chunk == chunk;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + chunk;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case STATIC -> "static";
      case STATIC_CHUNKS -> "static(" + chunk + ")";
      case DYNAMIC -> "dynamic(" + chunk + ")";
      case GUIDED -> "guided(" + chunk + ")";
    };
  }

  static void checkPositive(String what, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(what + ": " + value + " (expected: > 0)");
    }
  }
}
