package org.parallel4j.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The recorder behind the dashboard: spans only while watched, from many threads; bulks once. */
class RecorderTest {
  private final AtomicLong clock = new AtomicLong(1_000);
  private final Recorder recorder = new Recorder(clock::get);

  @Test
  void spansAreRecordedOnlyWhileSomeoneWatches() {
    recorder.ended("threads", "w", 1, 1_000, 1_001, Recorder.Outcome.COMPLETED, null);
    assertThat(recorder.spansSince(0)).as("nobody watched yet").isEmpty();
    recorder.watched();
    recorder.ended("threads", "w", 2, 1_000, 1_002, Recorder.Outcome.COMPLETED, null);
    clock.addAndGet(Recorder.WATCH_NANOS + 1);
    recorder.ended("threads", "w", 3, 1_000, clock.get(), Recorder.Outcome.COMPLETED, null);
    assertThat(recorder.spansSince(0)).extracting(Recorder.Span::job).containsExactly(2L);
  }

  @Test
  void spansFromManyThreadsAtOnceAreAllKeptInOrderOfTheirEnd() throws Exception {
    recorder.watched();
    int threads = 8;
    int each = 200; // within one stripe's ring, even if all threads shared one
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> all = new ArrayList<>();
    AtomicLong ends = new AtomicLong(2_000);
    for (int t = 0; t < threads; t++) {
      int id = t;
      all.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      start.await();
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                    for (int i = 0; i < each; i++) {
                      recorder.ended(
                          "threads",
                          "w" + id,
                          id * 1_000L + i,
                          1_000,
                          ends.incrementAndGet(),
                          Recorder.Outcome.COMPLETED,
                          null);
                    }
                  }));
    }
    for (Thread t : all) {
      t.join();
    }
    List<Recorder.Span> spans = recorder.spansSince(0);
    assertThat(spans).hasSize(threads * each);
    assertThat(spans).extracting(Recorder.Span::job).doesNotHaveDuplicates();
    for (int i = 1; i < spans.size(); i++) {
      assertThat(spans.get(i).end()).isGreaterThan(spans.get(i - 1).end());
    }
  }

  @Test
  void aGroupThatFinishesAndRunsAgainIsListedOnce() {
    Recorder.Bulk group = new FakeBulk();
    long first = recorder.begin(group);
    recorder.finished(first);
    long again = recorder.begin(group); // its next job came after all the others had ended
    assertThat(recorder.finishedBulks()).as("running again, not finished").isEmpty();
    assertThat(recorder.running()).containsOnlyKeys(again);
    recorder.finished(again);
    assertThat(recorder.finishedBulks()).containsExactly(group);
    assertThat(recorder.running()).isEmpty();
  }

  @Test
  void failuresKeepTheLastOnesWithTheirCause() {
    for (int i = 0; i < Recorder.FAILURES + 5; i++) {
      recorder.ended(
          "processes",
          "worker-1",
          i,
          1_000,
          1_001,
          Recorder.Outcome.FAILED,
          new IllegalStateException("bad " + i, new ArithmeticException("root")));
    }
    recorder.ended(
        "processes",
        "worker-1",
        99,
        1_000,
        1_001,
        Recorder.Outcome.CANCELLED,
        new java.util.concurrent.CancellationException());
    List<Recorder.Failure> failures = recorder.failures();
    assertThat(failures).hasSize(Recorder.FAILURES);
    assertThat(failures.get(0).job()).isEqualTo(5);
    assertThat(failures.get(failures.size() - 1).error())
        .contains(
            "IllegalStateException: bad 24", "caused by: java.lang.ArithmeticException: root");
  }

  private static final class FakeBulk implements Recorder.Bulk {
    @Override
    public String kind() {
      return "group";
    }

    @Override
    public String name() {
      return "g";
    }

    @Override
    public long done() {
      return 0;
    }

    @Override
    public long total() {
      return 0;
    }

    @Override
    public long failed() {
      return 0;
    }

    @Override
    public long startedAt() {
      return 0;
    }

    @Override
    public long finishedAt() {
      return 0;
    }

    @Override
    public void cancel() {}
  }
}
