package org.parallel4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bench's children end by their bound: one that never exits is killed at it, with what it
 * started, and the outcome says so instead of hanging or throwing.
 */
class ChildTest {
  @Test
  void aChildThatEndsGivesItsOutputAndStatus() throws Exception {
    Child.Outcome run = Child.run(List.of("sh", "-c", "echo one; echo two; exit 3"), bound(30));
    assertThat(run.timedOut()).isFalse();
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.output()).isEqualTo("one\ntwo\n");
    assertThat(run.ok()).isFalse();
    assertThat(run.describe("sh")).isEqualTo("sh exited with 3");
    assertThat(Child.run(List.of("true"), bound(30)).ok()).isTrue();
  }

  @Test
  void aChildThatNeverExitsIsKilledAtItsBound() throws Exception {
    long t0 = System.nanoTime();
    Child.Outcome run = Child.run(List.of("sleep", "30"), bound(1));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(run.timedOut()).isTrue();
    assertThat(run.ok()).isFalse();
    assertThat(run.describe("python")).isEqualTo("python timed out after 1 s and was killed");
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(1)).isLessThan(bound(10));
  }

  @Test
  void whatAChildStartedIsKilledWithItAndItsOutputUntilThenIsKept() throws Exception {
    // the grandchild holds the output open, as Python's worker pools do
    long t0 = System.nanoTime();
    Child.Outcome run =
        Child.run(List.of("sh", "-c", "echo started; sleep 30 & sleep 30; echo never"), bound(1));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(run.timedOut()).isTrue();
    assertThat(run.output()).isEqualTo("started\n");
    assertThat(took).isLessThan(bound(5)); // not the reader's grace: the grandchild was killed
  }

  private static Duration bound(int seconds) {
    return Duration.ofSeconds(seconds);
  }
}
