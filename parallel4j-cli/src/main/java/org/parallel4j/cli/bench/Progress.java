package org.parallel4j.cli.bench;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Says what the bench is doing. On a terminal, a step that runs longer than two seconds gets a bar
 * that shows its progress, redrawn in place and as wide as the terminal; when output goes to a file
 * or a pipe, each step is one plain line when it ends.
 */
final class Progress implements AutoCloseable {
  private static final long SHOW_AFTER_NANOS = 2_000_000_000L;
  private final PrintWriter out;
  private final boolean terminal;
  private final int width;
  private final Thread painter;
  private volatile String step = "";
  private volatile double done; // 0..1 of the current step
  private volatile long stepStart;
  private volatile boolean drawn;

  Progress(PrintWriter out, boolean terminal, int width) {
    this.out = out;
    this.terminal = terminal;
    this.width = Math.max(40, width);
    this.painter =
        terminal ? Thread.ofPlatform().daemon().name("bench-progress").start(this::paint) : null;
  }

  /**
   * Whether standard output is a terminal, and its width: {@code $COLUMNS} when the shell exports
   * it, else what {@code stty size} says of the terminal, else 80.
   */
  static Progress forConsole(PrintWriter out) {
    boolean terminal = System.console() != null && isTerminal();
    return new Progress(out, terminal, terminal ? terminalWidth() : 80);
  }

  private static int terminalWidth() {
    try {
      return Integer.parseInt(System.getenv("COLUMNS").strip());
    } catch (RuntimeException e) {
      // not exported: ask the terminal
    }
    try {
      Process p =
          new ProcessBuilder("stty", "size")
              .redirectInput(new java.io.File("/dev/tty"))
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String size =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (p.waitFor(2, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0) {
        return Integer.parseInt(size.strip().split("\\s+")[1]);
      }
    } catch (java.io.IOException | RuntimeException e) {
      // no stty, or no terminal after all
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 80;
  }

  private static boolean isTerminal() {
    try { // Console.isTerminal() is JDK 22+; on 21 a console exists only for a terminal
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(System.console());
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  /** A step begins. */
  void start(String what) {
    step = what;
    done = 0;
    stepStart = System.nanoTime();
  }

  /** The current step is {@code fraction} done. */
  void advance(double fraction) {
    done = Math.max(0, Math.min(1, fraction));
  }

  /** The current step ended; {@code result} says what it measured. */
  synchronized void end(String result) {
    double s = (System.nanoTime() - stepStart) / 1e9;
    String line = String.format(Locale.ROOT, "%-52s %s (%.1f s)", step, result, s);
    if (drawn) {
      out.print("\r" + " ".repeat(width - 1) + "\r");
      drawn = false;
    }
    out.println(line);
    out.flush();
    step = "";
  }

  private void paint() {
    while (true) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
      String s = step;
      if (s.isEmpty() || System.nanoTime() - stepStart < SHOW_AFTER_NANOS) {
        continue;
      }
      synchronized (this) {
        if (step.isEmpty()) {
          continue;
        }
        out.print("\r" + bar(s, done, (System.nanoTime() - stepStart) / 1e9, width));
        out.flush();
        drawn = true;
      }
    }
  }

  /** One line: {@code [#####.....] 45% what 12.3 s}, fitted to {@code width}. */
  static String bar(String what, double fraction, double seconds, int width) {
    String tail = String.format(Locale.ROOT, " %3d%% %.1f s ", Math.round(fraction * 100), seconds);
    int barWidth = Math.max(10, Math.min(40, width / 3));
    int filled = (int) Math.round(fraction * barWidth);
    String label = what;
    int room = width - 1 - (barWidth + 2) - tail.length();
    if (label.length() > room) {
      label = label.substring(0, Math.max(0, room));
    }
    return "[" + "#".repeat(filled) + ".".repeat(barWidth - filled) + "]" + tail + label;
  }

  @Override
  public void close() {
    if (painter != null) {
      painter.interrupt();
    }
  }
}
