package org.parallel4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parallel4j.cli.Main;
import picocli.CommandLine;

/**
 * {@code parallel4j bench all --quick}, for real: every scenario runs, the JSON holds the rows
 * other tools rely on, and the HTML page draws a chart per scenario (checked in headless Chromium
 * where it is installed).
 */
class BenchCommandTest {
  @TempDir Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void allQuickWritesEveryScenarioAsJsonAndAsAPageWithCharts() throws Exception {
    Path json = tmp.resolve("r.json");
    Path html = tmp.resolve("r.html");
    assertThat(run("bench", "all", "--quick", "--json", json.toString(), "--html", html.toString()))
        .as(err.toString())
        .isZero();
    String rows = Files.readString(json);
    for (String scenario : BenchCommand.SCENARIOS) {
      assertThat(rows).contains("\"scenario\": \"" + scenario + "\"");
    }
    for (String engine : List.of("threads", "virtual", "processes")) {
      assertRow(rows, "overhead", engine, "mode=start", "start_ms");
      assertRow(rows, "overhead", engine, "mode=submit", "tasks_per_s");
      assertRow(rows, "overhead", engine, "mode=map", "tasks_per_s");
      assertRow(rows, "overhead", engine, "mode=sequential", "rtt_us_p50");
      assertRow(rows, "overhead", engine, "task_us=1", "speedup");
      assertRow(rows, "io", engine, "tasks=100", "wall_s");
    }
    assertRow(rows, "io", "virtual", "tasks=10000,wait=sleep", "wall_s");
    assertRow(rows, "cpu", "serial", "workers=1", "wall_s");
    assertRow(rows, "cpu", "threads", "workers=2", "speedup");
    assertRow(rows, "cpu", "processes", "workers=2", "speedup");
    for (String contender :
        List.of("serial", "streams", "forkjoin", "static", "dynamic", "guided")) {
      assertRow(rows, "loops", contender, "workload=squares", "gbytes_per_s");
      assertRow(rows, "loops", contender, "workload=irregular", "wall_s");
    }
    assertRow(rows, "loops", "floor", "workload=squares", "wall_s");
    assertThat(out.toString()).startsWith("machine: ").contains("scenario", "wrote " + json);

    String page = Files.readString(html);
    assertThat(page).doesNotContain("http://", "https://"); // self-contained: no network
    for (String scenario : BenchCommand.SCENARIOS) {
      assertThat(page).contains("<h2 id=\"" + scenario + "\">");
    }
    assertThat(Pattern.compile("<svg class=\"chart\"").matcher(page).results().count())
        .isGreaterThanOrEqualTo(4);
    assertChartsDrawnInChromium(html);
  }

  @Test
  void anUnknownScenarioIsNamed() {
    assertThat(run("bench", "gpu")).isEqualTo(2);
    assertThat(err.toString())
        .contains("unknown scenario 'gpu'", "io, cpu, overhead, loops, cluster, dashboard, all");
  }

  private static void assertRow(
      String json, String scenario, String engine, String param, String metric) {
    Pattern row =
        Pattern.compile(
            "\\{\"scenario\": \""
                + scenario
                + "\", \"engine\": \""
                + Pattern.quote(engine)
                + "\", \"param\": \""
                + Pattern.quote(param)
                + "\", \"metric\": \""
                + metric
                + "\", \"value\": ([0-9.E+-]+)");
    Matcher m = row.matcher(json);
    assertThat(m.find()).as("row %s %s %s %s", scenario, engine, param, metric).isTrue();
    assertThat(Double.parseDouble(m.group(1))).as("its value").isPositive();
  }

  /** Renders the page in headless Chromium; the page marks how many charts it drew. */
  private void assertChartsDrawnInChromium(Path html) throws Exception {
    Path chromium = Path.of("/usr/bin/chromium");
    if (!Files.isExecutable(chromium) && System.getenv("PARALLEL4J_REQUIRE_BROWSER") != null) {
      throw new AssertionError("chromium is required here (PARALLEL4J_REQUIRE_BROWSER)");
    }
    assumeThat(Files.isExecutable(chromium)).as("chromium installed").isTrue();
    Process p =
        new ProcessBuilder(
                chromium.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + Files.createDirectory(tmp.resolve("profile")),
                "--dump-dom",
                html.toUri().toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String dom;
    try {
      dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly(); // our own child, by its handle
    }
    Matcher m = Pattern.compile("data-charts=\"(\\d+) drawn, (\\d+) empty\"").matcher(dom);
    assertThat(m.find()).as("the page's own check ran").isTrue();
    assertThat(Integer.parseInt(m.group(1))).isGreaterThanOrEqualTo(4);
    assertThat(Integer.parseInt(m.group(2))).isZero();
  }
}
