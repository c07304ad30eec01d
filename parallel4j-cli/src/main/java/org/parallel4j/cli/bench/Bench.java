package org.parallel4j.cli.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What every scenario needs: the sizes ({@code --quick} or full), the machine, the progress
 * display, and the Python side, run when {@code python3} is there.
 */
final class Bench {
  /** How long the Python side of one scenario may run before it is killed. */
  static final Duration PYTHON_BOUND = Duration.ofMinutes(10);

  final boolean quick;
  final int cores = Runtime.getRuntime().availableProcessors();
  final Progress progress;
  private final String python; // null: do not run the Python side

  Bench(boolean quick, Progress progress, String python) {
    this.quick = quick;
    this.progress = progress;
    this.python = python;
  }

  /** The machine, in one line: cores, CPU, memory, JDK, OS. */
  static String machine() {
    String cpu = "";
    try {
      cpu =
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .map(l -> l.substring(l.indexOf(':') + 1).strip())
              .findFirst()
              .orElse("");
    } catch (IOException | RuntimeException e) {
      // not Linux: no model name
    }
    return String.format(
        Locale.ROOT,
        "%d cores%s, JDK %s (%s), %s %s %s",
        Runtime.getRuntime().availableProcessors(),
        cpu.isEmpty() ? "" : " (" + cpu + ")",
        Runtime.version(),
        System.getProperty("java.vm.vendor"),
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        System.getProperty("os.arch"));
  }

  /**
   * Runs the Python side of {@code scenario} and returns its rows; none when Python is off or
   * missing, or fails (said on the progress line). A Python side still running after {@link
   * #PYTHON_BOUND} is killed, and the progress line says so; the rows it wrote until then are kept.
   */
  List<Row> python(String scenario, String... extraArgs) {
    if (python == null) {
      return List.of();
    }
    progress.start(scenario + ": python");
    List<Row> rows = new ArrayList<>();
    try {
      Path script = Files.createTempFile("parallel4j-python-side", ".py");
      try {
        try (InputStream in = Bench.class.getResourceAsStream("python_side.py")) {
          Files.write(script, in.readAllBytes());
        }
        List<String> command = new ArrayList<>();
        command.add(python);
        command.add(script.toString());
        command.add("--tsv");
        command.add("--scenarios");
        command.add(scenario);
        command.add("--workers");
        command.add(Integer.toString(cores));
        if (quick) {
          command.add("--quick");
        }
        command.addAll(List.of(extraArgs));
        Child.Outcome run = Child.run(command, PYTHON_BOUND);
        String out = run.output(); // whole lines only: one killed mid-line is cut short
        for (String line : out.substring(0, out.lastIndexOf('\n') + 1).lines().toList()) {
          String[] f = line.split("\t");
          if (f.length == 6) {
            rows.add(new Row(f[0], f[1], f[2], f[3], Double.parseDouble(f[4]), f[5]));
          }
        }
        progress.end(
            rows.size()
                + " rows"
                + (run.timedOut()
                    ? ", " + run.describe("python")
                    : run.exitCode() == 0 ? "" : ", exit " + run.exitCode()));
      } finally {
        Files.deleteIfExists(script);
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      progress.end("not run: " + e.getMessage());
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
    return rows;
  }

  /** Whether {@code command} runs here (for python3). */
  static boolean runs(String command) {
    try {
      Process p =
          new ProcessBuilder(command, "--version")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
