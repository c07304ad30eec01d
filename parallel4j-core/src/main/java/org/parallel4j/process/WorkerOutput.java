package org.parallel4j.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Predicate;

/**
 * What one worker process writes, as this JVM shows and keeps it: its standard error forwarded line
 * by line with the worker's prefix, the lines its tasks print handed to a printer thread of their
 * own, and its last lines kept for a crash report. Thread-safe.
 *
 * <p>The worker's standard output also carries its wake-ups, so the thread that reads it must never
 * wait for this JVM's console: printed lines queue here, up to {@value #PRINTED_LINES_QUEUED},
 * before the reader would wait.
 */
final class WorkerOutput {
  private static final int ERROR_LINES_KEPT = 20;
  private static final int PRINTED_LINES_QUEUED = 1024;
  private static final String END_OF_OUTPUT = new String("end of output"); // compared by identity

  private final String threadPrefix;
  private final String prefix;
  private final Predicate<String> chatter; // lines not to show: the start-up cache's recording
  private final ArrayDeque<String> lastLines = new ArrayDeque<>(); // guarded by itself
  private final BlockingQueue<String> printed = new ArrayBlockingQueue<>(PRINTED_LINES_QUEUED);
  private volatile Thread printer; // started at the first line printed
  private Thread stderr;

  /**
   * @param threadPrefix the start of its threads' names
   * @param prefix what each forwarded line starts with, such as {@code [worker-3 pid 1234] }
   * @param chatter lines to drop
   */
  WorkerOutput(String threadPrefix, String prefix, Predicate<String> chatter) {
    this.threadPrefix = threadPrefix;
    this.prefix = prefix;
    this.chatter = chatter;
  }

  /**
   * Forwards {@code stream}, the worker's standard error, line by line, and keeps its last lines.
   */
  void pumpStderr(InputStream stream) {
    stderr =
        Thread.ofPlatform()
            .daemon(true)
            .name(threadPrefix + "-stderr")
            .start(
                () -> {
                  try (BufferedReader r =
                      new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                      if (!chatter.test(line)) {
                        System.err.println(prefix + line);
                        remember(line);
                      }
                    }
                  } catch (IOException e) {
                    // the process is gone
                  }
                });
  }

  /** Prints a line a task wrote to standard output, on the printer thread. */
  void print(String line) {
    if (chatter.test(line)) {
      return;
    }
    if (printer == null) {
      printer =
          Thread.ofPlatform()
              .daemon(true)
              .name(threadPrefix + "-printer")
              .start(
                  () -> {
                    try {
                      for (String l = printed.take(); l != END_OF_OUTPUT; l = printed.take()) {
                        System.out.println(l);
                      }
                    } catch (InterruptedException e) {
                      // this JVM is going down
                    }
                  });
    }
    enqueue(prefix + line);
  }

  /** The worker's standard output has ended: the printer ends once it has printed the rest. */
  void endOfOutput() {
    if (printer != null) {
      enqueue(END_OF_OUTPUT);
    }
  }

  private void enqueue(String line) {
    try {
      printed.put(line);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Keeps a line for crash reports: its error lines, and what the JVM itself says on standard
   * output when it dies of an OutOfMemoryError or a native crash.
   */
  void remember(String line) {
    synchronized (lastLines) {
      if (lastLines.size() == ERROR_LINES_KEPT) {
        lastLines.removeFirst();
      }
      lastLines.addLast(line);
    }
  }

  /** Waits up to {@code millis} each for the standard error and the printer to finish. */
  void awaitEnd(long millis) throws InterruptedException {
    Thread e = stderr;
    if (e != null) {
      e.join(millis);
    }
    Thread p = printer;
    if (p != null) {
      p.join(millis);
    }
  }

  /** Waits up to {@code millis} for the standard error to finish. */
  void awaitStderr(long millis) throws InterruptedException {
    Thread e = stderr;
    if (e != null) {
      e.join(millis);
    }
  }

  /** The last lines kept, oldest first. */
  List<String> lastLines() {
    synchronized (lastLines) {
      return List.copyOf(lastLines);
    }
  }
}
