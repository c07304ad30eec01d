package org.parallel4j.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.parallel4j.TaskGroup;

/**
 * Article section 2.2, the {@code _thread} module: two loops that sleep 4 s and 2 s, started
 * together. The Python version makes the main thread {@code sleep(6)} and hopes both are done; here
 * the main thread joins them in a {@link TaskGroup}, so it waits exactly as long as the longer
 * loop, and a failing loop is reported instead of lost.
 *
 * <p>Run: {@code java ... ThreadLoops [loop1-ms loop2-ms]} (default 4000 2000).
 */
public final class ThreadLoops {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  private ThreadLoops() {}

  /** Runs both loops at once and returns the loops' names in the order they finished. */
  public static List<String> run(Duration loop1, Duration loop2, PrintStream out)
      throws InterruptedException, ExecutionException {
    out.println("Starting at: " + now());
    List<String> finished = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    try (TaskGroup<String> group = TaskGroup.open()) {
      group.fork(() -> loop("loop 1", loop1, out, finished));
      group.fork(() -> loop("loop 2", loop2, out, finished));
      group.join(); // not sleep(6): wait for exactly what was started
    }
    out.println("All tasks done at: " + now());
    return List.copyOf(finished);
  }

  private static String loop(String name, Duration d, PrintStream out, List<String> finished)
      throws InterruptedException {
    out.println("Start " + name + " at: " + now());
    Thread.sleep(d); // the work of the loop: the article's sleep(4) and sleep(2)
    out.println(name + " done at: " + now());
    finished.add(name);
    return name;
  }

  private static String now() {
    return LocalTime.now().format(CLOCK);
  }

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    long a = args.length > 0 ? Long.parseLong(args[0]) : 4000;
    long b = args.length > 1 ? Long.parseLong(args[1]) : 2000;
    run(Duration.ofMillis(a), Duration.ofMillis(b), System.out);
  }
}
