package org.parallel4j.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What every scenario needs: the sizes ({@code --quick} or full), the machine, the progress
 * display, and the Python side, run when {@code python3} is there.
 */
final class Bench {
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
   * missing, or fails (said on the progress line).
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
        Process p =
            new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line = r.readLine(); line != null; line = r.readLine()) {
            String[] f = line.split("\t");
            if (f.length == 6) {
              rows.add(new Row(f[0], f[1], f[2], f[3], Double.parseDouble(f[4]), f[5]));
            }
          }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
          p.destroyForcibly();
        }
        progress.end(rows.size() + " rows" + (p.exitValue() == 0 ? "" : ", exit " + p.exitValue()));
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
