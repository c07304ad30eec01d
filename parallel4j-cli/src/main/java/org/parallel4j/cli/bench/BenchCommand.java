package org.parallel4j.cli.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code parallel4j bench}: the article's claims measured on this machine, for Java and beside
 * Python.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measures the article's claims on this machine, beside Python where python3 runs.",
      "Scenarios:",
      "  io        tasks waiting on I/O: serial, threads, virtual threads, processes",
      "  cpu       sum_primes on 1..cores threads and processes, speed-up over serial",
      "  overhead  per-task cost, round trip, task size at which each engine pays off",
      "  loops     parallel loops per schedule, beside the memory-bandwidth floor",
      "  cluster   trivial tasks, round trip and sum_primes on local nodes (JVMs started for it)",
      "  all       every scenario"
    })
public final class BenchCommand implements Callable<Integer> {
  /** The scenarios, in the order they run. */
  static final List<String> SCENARIOS =
      List.of("io", "cpu", "overhead", "loops", "cluster", "dashboard");

  @Spec CommandSpec spec;

  @Parameters(
      arity = "1..*",
      paramLabel = "SCENARIO",
      description = "io, cpu, overhead, loops, cluster, dashboard or all")
  List<String> scenarios;

  @Option(names = "--quick", description = "small sizes: every scenario in about a minute in all")
  boolean quick;

  @Option(names = "--json", paramLabel = "FILE", description = "write the rows as JSON")
  Path json;

  @Option(names = "--html", paramLabel = "FILE", description = "write a page with charts")
  Path html;

  @Option(
      names = "--python",
      paramLabel = "COMMAND",
      defaultValue = "python3",
      description = "the Python to measure beside Java (default: ${DEFAULT-VALUE})")
  String python;

  @Option(names = "--no-python", description = "measure Java only")
  boolean noPython;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Set<String> chosen = new LinkedHashSet<>();
    for (String s : scenarios) {
      if (s.equals("all")) {
        chosen.addAll(SCENARIOS);
      } else if (SCENARIOS.contains(s)) {
        chosen.add(s);
      } else {
        spec.commandLine()
            .getErr()
            .println(
                "bench: unknown scenario '"
                    + s
                    + "' (expected: io, cpu, overhead, loops, cluster, dashboard, all)");
        return 2;
      }
    }
    String machine = Bench.machine();
    String py = noPython ? null : python;
    if (py != null && !Bench.runs(py)) {
      out.println("(no " + py + " here: Java only)");
      py = null;
    }
    out.println("machine: " + machine);
    out.flush();
    List<Row> rows = new ArrayList<>();
    try (Progress progress = Progress.forConsole(out)) {
      Bench bench = new Bench(quick, progress, py);
      for (String s : SCENARIOS) {
        if (!chosen.contains(s)) {
          continue;
        }
        rows.addAll(
            switch (s) {
              case "io" -> IoScenario.run(bench);
              case "cpu" -> CpuScenario.run(bench);
              case "overhead" -> OverheadScenario.run(bench);
              case "loops" -> LoopsScenario.run(bench);
              case "cluster" -> ClusterScenario.run(bench);
              case "dashboard" -> DashboardScenario.run(bench);
              default -> // the names were checked above
                  throw new IllegalArgumentException(
                      "scenario: " + s + " (expected: " + String.join(", ", SCENARIOS) + ")");
            });
      }
    }
    out.println();
    out.print(Report.table(machine, rows));
    String command = "parallel4j bench " + String.join(" ", scenarios) + (quick ? " --quick" : "");
    if (json != null) {
      write(json, Row.toJson(rows));
      out.println("wrote " + json);
    }
    if (html != null) {
      write(html, Report.html(machine, command, rows));
      out.println("wrote " + html);
    }
    out.flush();
    return 0;
  }

  private static void write(Path file, String text) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
