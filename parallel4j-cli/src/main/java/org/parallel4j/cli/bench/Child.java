package org.parallel4j.cli.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A child process run to its end or to a bound, whichever comes first: the bench's Python side and
 * its loops in a JVM of their own. Its output is read on a thread of its own, so that a child that
 * hangs, output or not, is killed at its bound, with every process it started (Python's worker
 * pools hold its output open); what it wrote until then is kept.
 */
final class Child {
  /** How long the output may take to end once the child has ended or been killed. */
  private static final Duration DRAIN = Duration.ofSeconds(5);

  private Child() {}

  /**
   * How a child ended.
   *
   * @param output what it wrote to its standard output, as UTF-8; until it was killed, if it was
   * @param exitCode its exit status; -1 when it did not end even when killed
   * @param timedOut whether it ran past its bound and was killed
   * @param bound the bound it ran under
   */
  record Outcome(String output, int exitCode, boolean timedOut, Duration bound) {
    /** Whether it ended of itself, with status 0. */
    boolean ok() {
      return !timedOut && exitCode == 0;
    }

    /**
     * What happened to {@code what}, in a few words: {@code python timed out after 600 s and was
     * killed}, {@code python exited with 2}, or {@code python exited with 0}.
     */
    String describe(String what) {
      return timedOut
          ? what + " timed out after " + seconds(bound) + " s and was killed"
          : what + " exited with " + exitCode;
    }
  }

  /**
   * Runs {@code command} (its standard error discarded) and returns how it ended, at most about
   * {@code bound} later: a child still running then is killed, with its descendants.
   *
   * @throws IOException when it cannot start
   * @throws InterruptedException when interrupted while it runs; it is killed first
   */
  static Outcome run(List<String> command, Duration bound)
      throws IOException, InterruptedException {
    return run(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD), bound);
  }

  /**
   * Starts {@code builder}'s command and returns how it ended, at most about {@code bound} later: a
   * child still running then is killed, with its descendants.
   *
   * @throws IOException when it cannot start
   * @throws InterruptedException when interrupted while it runs; it is killed first
   */
  static Outcome run(ProcessBuilder builder, Duration bound)
      throws IOException, InterruptedException {
    Process p = builder.start();
    ByteArrayOutputStream output = new ByteArrayOutputStream(); // its methods are synchronized
    Thread reader =
        Thread.ofPlatform()
            .daemon()
            .name("bench-child-output-" + p.pid())
            .start(() -> drain(p.getInputStream(), output));
    boolean ended = false;
    try {
      ended = p.waitFor(bound.toNanos(), TimeUnit.NANOSECONDS);
    } finally {
      if (!ended) { // past its bound, or interrupted while waiting: not left behind
        kill(p);
      }
    }
    // killed by SIGKILL, it ends at once; a process stuck in the kernel is not waited for forever
    int exitCode = p.waitFor(DRAIN.toNanos(), TimeUnit.NANOSECONDS) ? p.exitValue() : -1;
    // the output ends when the last process holding it open has: normally at once
    reader.join(DRAIN);
    return new Outcome(output.toString(StandardCharsets.UTF_8), exitCode, !ended, bound);
  }

  /** Kills {@code p} and every process it started, by their handles. */
  private static void kill(Process p) {
    List<ProcessHandle> descendants = p.descendants().toList(); // before they lose their parent
    p.destroyForcibly();
    for (ProcessHandle h : descendants) {
      h.destroyForcibly();
    }
  }

  private static void drain(InputStream in, ByteArrayOutputStream output) {
    byte[] buffer = new byte[8192];
    try (in) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        output.write(buffer, 0, n);
      }
    } catch (IOException e) {
      // the stream was closed: what was read is kept
    }
  }

  private static String seconds(Duration d) {
    long millis = d.toMillis();
    return millis % 1000 == 0
        ? Long.toString(millis / 1000)
        : String.format(Locale.ROOT, "%.1f", millis / 1000.0);
  }
}
