package org.parallel4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Progress listeners of {@code map} and {@code mapUnordered}: reports come one at a time, count
 * inputs, never go back, are spaced by the interval, and end with one finished report, whatever the
 * outcome; a listener that throws is dropped and the operation goes on.
 */
class ProgressTest {
  /** Collects reports and fails if two ever overlap. */
  static final class Recording implements ProgressListener {
    final List<Progress> reports = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger inside = new AtomicInteger();
    volatile boolean overlapped;

    @Override
    public void onProgress(Progress p) {
      if (inside.incrementAndGet() != 1) {
        overlapped = true;
      }
      reports.add(p);
      Thread.yield(); // widen the window a second caller would overlap in
      inside.decrementAndGet();
    }

    Progress last() {
      return reports.get(reports.size() - 1);
    }
  }

  private static void assertWellFormed(Recording r) {
    assertThat(r.overlapped).as("reports overlapped").isFalse();
    assertThat(r.reports).isNotEmpty();
    assertThat(r.reports.stream().filter(Progress::finished)).as("one last report").hasSize(1);
    assertThat(r.last().finished()).isTrue();
    long interval = Duration.ofMillis(ProgressListener.INTERVAL_MILLIS).toNanos();
    for (int i = 1; i < r.reports.size(); i++) {
      Progress a = r.reports.get(i - 1);
      Progress b = r.reports.get(i);
      assertThat(b.done()).as("done never goes back").isGreaterThanOrEqualTo(a.done());
      if (!b.finished()) {
        assertThat(b.elapsed().toNanos() - a.elapsed().toNanos())
            .as("reports before the last are an interval apart")
            .isGreaterThanOrEqualTo(interval);
      }
    }
  }

  @Test
  void mapReportsEveryInputAndFinishesOnce() {
    Recording r = new Recording();
    try (JobServer server = JobServer.threads(2)) {
      List<Integer> out =
          server.map(
              x -> {
                Thread.sleep(2);
                return x + 1;
              },
              IntStream.range(0, 300).boxed().toList(),
              1,
              r);
      assertThat(out).hasSize(300);
    }
    assertWellFormed(r);
    assertThat(r.reports.size()).as("more than the last report").isGreaterThan(1);
    Progress last = r.last();
    assertThat(last.done()).isEqualTo(300);
    assertThat(last.total()).isEqualTo(300);
    assertThat(last.failed()).isZero();
    assertThat(last.fraction()).isEqualTo(1.0);
    assertThat(last.rate()).isPositive();
    assertThat(last.toString()).startsWith("300/300 (100%)").endsWith("finished");
  }

  @Test
  void aFailedMapStillEndsWithAFinishedReportCountingTheFailure() throws Exception {
    Recording r = new Recording();
    try (JobServer server = JobServer.threads(2)) {
      assertThatThrownBy(
              () ->
                  server.map(
                      x -> {
                        if (x == 7) {
                          throw new IllegalArgumentException("bad input " + x);
                        }
                        return x;
                      },
                      IntStream.range(0, 20).boxed().toList(),
                      1,
                      r))
          .isInstanceOf(CompletionException.class)
          .hasRootCauseMessage("bad input 7");
      // the failed chunk's completion may come after map's own last report; wait for the jobs
      server.shutdown();
      server.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertWellFormed(r);
    assertThat(r.last().total()).isEqualTo(20);
  }

  @Test
  void mapUnorderedLearnsItsTotalWhenTheInputsRunOut() {
    Recording r = new Recording();
    Iterator<Integer> inputs = IntStream.range(0, 30).iterator();
    Iterable<Integer> once = () -> inputs; // not a collection: the total is not known ahead
    List<Integer> out;
    try (JobServer server = JobServer.threads(2)) {
      out = server.mapUnordered(x -> x * 2, once, 1, 4, r).collect(Collectors.toList());
    }
    assertThat(out).hasSize(30);
    assertWellFormed(r);
    assertThat(r.reports.subList(0, r.reports.size() - 1)).allMatch(p -> p.total() == -1);
    assertThat(r.last().total()).isEqualTo(30);
    assertThat(r.last().done()).isEqualTo(30);
  }

  @Test
  void aListenerThatThrowsIsDroppedAndTheMapGoesOn() {
    AtomicInteger calls = new AtomicInteger();
    ProgressListener broken =
        p -> {
          calls.incrementAndGet();
          throw new IllegalStateException("listener bug");
        };
    try (JobServer server = JobServer.threads(2)) {
      assertThat(server.map(x -> x + 1, IntStream.range(0, 50).boxed().toList(), 1, broken))
          .hasSize(50);
    }
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void aNullListenerIsRefusedWhereOneIsRequired() {
    try (JobServer server = JobServer.threads(1)) {
      assertThatThrownBy(() -> server.map(x -> x, List.of(1), (ProgressListener) null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("listener");
    }
  }
}
