package org.parallel4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void demoPrintsParallelPythonsSumsInInputOrderThenStats() {
    assertThat(run("demo", "--workers", "2")).isZero();
    List<String> lines = out.toString().lines().toList();
    List<String> sums = lines.stream().filter(l -> l.startsWith("Sum of primes below")).toList();
    assertThat(sums).hasSize(8);
    assertThat(sums.get(0)).isEqualTo("Sum of primes below 100000 is 454396537");
    for (int i = 0; i < 8; i++) {
      long input = 100_000L + 100L * i;
      assertThat(sums.get(i))
          .isEqualTo(
              "Sum of primes below "
                  + input
                  + " is "
                  + org.parallel4j.examples.Primes.sumBelow(input));
    }
    assertThat(out.toString()) // worker processes by default
        .contains("Job execution statistics of", "processes", "completed=8")
        .containsPattern("processes\\s+2\\s+8\\s+100.00");
  }

  @Test
  void demoDrawsAProgressBarAndServesADashboard() {
    assertThat(
            run(
                "demo",
                "--engine",
                "threads",
                "--workers",
                "2",
                "--jobs",
                "6",
                "--progress",
                "--dashboard",
                "0"))
        .isZero();
    assertThat(out.toString())
        .containsPattern("Dashboard: http://127\\.0\\.0\\.1:\\d+/")
        .contains("Sum of primes below 100500 is")
        .containsPattern("threads\\s+2\\s+6\\s+100.00");
    assertThat(err.toString())
        .as("the bar, its last state ending the line")
        .contains("\rsum_primes [##############################] 6/6 100%")
        .endsWith("\n");
  }

  @Test
  void demoRefusesABadDashboardPort() {
    assertThat(run("demo", "--dashboard", "70000")).isNotZero();
    assertThat(err.toString()).contains("--dashboard: 70000");
  }

  @Test
  void demoRunsOnPlatformThreads() {
    assertThat(run("demo", "--engine", "threads", "--workers", "2", "--jobs", "2")).isZero();
    assertThat(out.toString())
        .contains("Sum of primes below 100100 is")
        .containsPattern("threads\\s+2\\s+2\\s+100.00");
  }

  @Test
  void demoRunsOnVirtualThreads() {
    assertThat(run("demo", "--engine", "virtual", "--jobs", "2")).isZero();
    assertThat(out.toString()).contains("Sum of primes below 100100 is", "virtual");
  }

  @Test
  void demoRunsOnWorkerProcesses() {
    assertThat(run("demo", "--engine", "processes", "--workers", "2", "--jobs", "3")).isZero();
    assertThat(out.toString())
        .contains("Sum of primes below 100000 is 454396537", "processes")
        .containsPattern("processes\\s+2\\s+3\\s+100.00");
  }

  @Test
  void badOptionsAreNamed() {
    assertThat(run("demo", "--workers", "0")).isEqualTo(2);
    assertThat(err.toString()).contains("--workers: 0 (expected: > 0)");
    assertThat(run("demo", "--engine", "gpu")).isEqualTo(2);
    assertThat(err.toString()).contains("--engine: gpu (expected: threads, virtual, processes)");
  }

  /** The main job on a cluster: two node JVMs started with a generated secret, then stopped. */
  @Test
  void demoRunsOnTwoLocalNodesAndPrintsWhereEachJobRan() {
    assertThat(run("demo", "--nodes", "2", "--jobs", "4")).isZero();
    String text = out.toString();
    assertThat(text)
        .contains("Starting 2 local nodes", "Sum of primes below 100300 is 456700218")
        .containsPattern("cluster\\s+2\\s+4\\s+100.00");
    assertThat(text.lines().filter(l -> l.matches("   127\\.0\\.0\\.1:\\d+ +\\d+ .*")))
        .as("a stats row per node")
        .hasSize(2);
  }

  @Test
  void aNodeWithoutAnyWayToAuthenticateIsRefused() {
    assertThat(run("node", "--port", "1")).isEqualTo(2);
    assertThat(err.toString()).contains("--secret-file", "--secret-env", "--insecure");
  }
}
