package org.parallel4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.parallel4j.JobServer;
import org.parallel4j.Task;

/**
 * The cost of handing a trivial task to an executor and getting its result back, for the parallel4j
 * job server on platform threads and on virtual threads, beside the JDK executors they stand for,
 * all in one run:
 *
 * <ul>
 *   <li>{@code roundTrip}: submit one task and wait for it (latency of one hand-off).
 *   <li>{@code batch}: submit 1000 tasks, then wait for all (per-task cost when pipelined).
 * </ul>
 *
 * <p>Contenders ({@code executor}): {@code jdk-threads} is a {@link ThreadPoolExecutor} with {@code
 * workers} threads and an unbounded {@link LinkedBlockingQueue}, as {@code
 * Executors.newFixedThreadPool} makes; {@code p4j-threads} is {@code JobServer.threads(workers)};
 * {@code jdk-virtual} is {@code Executors.newVirtualThreadPerTaskExecutor()}; {@code p4j-virtual}
 * is {@code JobServer.virtualThreads()}.
 *
 * <p>Run: {@code ./build package && java -jar parallel4j-bench/target/benchmarks.jar SubmitOverhead
 * -rf json -rff submit-overhead.json}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class SubmitOverheadBenchmark {
  private static final int BATCH = 1000;

  @Param({"jdk-threads", "p4j-threads", "jdk-virtual", "p4j-virtual"})
  public String executor;

  @Param({"2"})
  public int workers;

  private ExecutorService jdk;
  private JobServer p4j;
  private int counter;

  @Setup(Level.Trial)
  public void start() {
    switch (executor) {
      case "jdk-threads" ->
          jdk =
              new ThreadPoolExecutor(
                  workers, workers, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>());
      case "p4j-threads" -> p4j = JobServer.threads(workers);
      case "p4j-threads-noclock" -> // diagnostic: the cost of the job timings' clock reads
          p4j = JobServer.builder().threads(workers).ticker(() -> 0L).build();
      case "jdk-virtual" -> jdk = Executors.newVirtualThreadPerTaskExecutor();
      case "p4j-virtual" -> p4j = JobServer.virtualThreads();
      default -> throw new IllegalArgumentException("executor: " + executor);
    }
  }

  @TearDown(Level.Trial)
  public void stop() {
    if (jdk != null) {
      jdk.close();
    }
    if (p4j != null) {
      p4j.close();
    }
  }

  @Benchmark
  public Integer roundTrip() throws Exception {
    int x = counter++;
    if (p4j != null) {
      Task.Call<Integer> task = () -> x + 1;
      return p4j.submit(task).get();
    }
    Callable<Integer> task = () -> x + 1;
    return jdk.submit(task).get();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long batch() throws Exception {
    List<Future<Integer>> futures = new ArrayList<>(BATCH);
    for (int i = 0; i < BATCH; i++) {
      int x = i;
      if (p4j != null) {
        Task.Call<Integer> task = () -> x + 1;
        futures.add(p4j.submit(task));
      } else {
        Callable<Integer> task = () -> x + 1;
        futures.add(jdk.submit(task));
      }
    }
    long sum = 0;
    for (Future<Integer> f : futures) {
      sum += f.get();
    }
    return sum;
  }
}
