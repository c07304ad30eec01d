package org.parallel4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.parallel4j.observe.Recorder;

/**
 * What the dashboard's recorder adds to the end of each job, per call, on two threads at once (two
 * workers ending jobs): {@code watched=false} is a dashboard nobody looks at (one volatile read and
 * a comparison), {@code watched=true} one a viewer polls (a span written to the thread's stripe).
 * Compare with a job's own cost on the same engine ({@code SubmitOverheadBenchmark}).
 *
 * <p>Run: {@code ./build package && java -jar parallel4j-bench/target/benchmarks.jar
 * RecorderBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class RecorderBenchmark {
  @Param({"false", "true"})
  boolean watched;

  private Recorder recorder;

  /** Each thread's own job ids: a shared counter would measure its own contention. */
  @State(Scope.Thread)
  public static class Ids {
    long next;
  }

  @Setup
  public void setUp() {
    recorder = new Recorder(System::nanoTime);
    if (watched) {
      recorder.watched(); // for 30 s: longer than the run
    }
  }

  /** The clock read and the id, without the recorder: subtract it from {@link #jobEnded}. */
  @Benchmark
  public long baseline(Ids ids) {
    return System.nanoTime() + ids.next++;
  }

  @Benchmark
  public void jobEnded(Ids ids) {
    long now = System.nanoTime();
    recorder.ended(
        "threads", "worker-1", ids.next++, now - 1000, now, Recorder.Outcome.COMPLETED, null);
  }
}
