package org.parallel4j.loops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.parallel4j.Job;
import org.parallel4j.JobServer;

/** Parallel loops equal serial loops for every schedule, chunk and range shape. */
class ParallelTest {

  @Provide
  Arbitrary<Schedule> schedules() {
    Arbitrary<Integer> chunks = Arbitraries.integers().between(1, 70);
    return Arbitraries.oneOf(
        Arbitraries.just(Schedule.STATIC),
        chunks.map(Schedule::staticChunks),
        chunks.map(Schedule::dynamic),
        chunks.map(Schedule::guided));
  }

  @Provide
  Arbitrary<Integer> starts() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(-1000, 1000),
        Arbitraries.integers().between(Integer.MIN_VALUE, Integer.MIN_VALUE + 100),
        Arbitraries.integers().between(Integer.MAX_VALUE - 5000, Integer.MAX_VALUE));
  }

  @Property(tries = 300)
  void everyIndexRunsExactlyOnce(
      @ForAll("starts") int start,
      @ForAll @IntRange(min = 0, max = 3000) int size,
      @ForAll("schedules") Schedule schedule,
      @ForAll @IntRange(min = 1, max = 6) int threads) {
    int from = start;
    int to = end(start, size);
    int n = to - from;
    AtomicIntegerArray visits = new AtomicIntegerArray(n);
    Parallel.loop()
        .threads(threads)
        .schedule(schedule)
        .forRange(
            from,
            to,
            i -> {
              visits.incrementAndGet(i - from);
            });
    for (int k = 0; k < n; k++) {
      assertThat(visits.get(k)).as("index %d", from + k).isEqualTo(1);
    }
  }

  @Property(tries = 200)
  void chunksAreDisjointAndCoverTheRange(
      @ForAll("starts") int start,
      @ForAll @IntRange(min = 0, max = 3000) int size,
      @ForAll("schedules") Schedule schedule,
      @ForAll @IntRange(min = 1, max = 6) int threads) {
    int from = start;
    int to = end(start, size);
    AtomicIntegerArray visits = new AtomicIntegerArray(to - from);
    Parallel.loop()
        .threads(threads)
        .schedule(schedule)
        .forChunks(
            from,
            to,
            (lo, hi) -> {
              assertThat(lo).isLessThan(hi);
              for (int i = lo; i < hi; i++) {
                visits.incrementAndGet(i - from);
              }
            });
    for (int k = 0; k < to - from; k++) {
      assertThat(visits.get(k)).as("index %d", from + k).isEqualTo(1);
    }
    AtomicLong covered = new AtomicLong();
    Parallel.loop()
        .threads(threads)
        .schedule(schedule)
        .forChunksLong(
            Long.MAX_VALUE - size, Long.MAX_VALUE, (lo, hi) -> covered.addAndGet(hi - lo));
    assertThat(covered.get()).isEqualTo(size);
  }

  @Property(tries = 300)
  void reductionsEqualTheSerialLoop(
      @ForAll("starts") int start,
      @ForAll @IntRange(min = 0, max = 3000) int size,
      @ForAll("schedules") Schedule schedule,
      @ForAll @IntRange(min = 1, max = 6) int threads) {
    int from = start;
    int to = end(start, size);
    Parallel.Loop loop = Parallel.loop().threads(threads).schedule(schedule);
    long serialInt = 0;
    long serialLong = 0;
    int min = Integer.MAX_VALUE;
    int max = Integer.MIN_VALUE;
    int xor = 0;
    for (int i = from; i < to; i++) {
      serialInt += i;
      serialLong += (long) i * i * 31; // wraps, and so must the parallel sum
      min = Math.min(min, i ^ 0x5555);
      max = Math.max(max, i ^ 0x5555);
      xor ^= i * 7;
    }
    assertThat(loop.sumInt(from, to, i -> i)).isEqualTo(serialInt);
    assertThat(loop.sumLong(from, to, i -> (long) i * i * 31)).isEqualTo(serialLong);
    assertThat(loop.minInt(from, to, i -> i ^ 0x5555))
        .isEqualTo(from < to ? OptionalInt.of(min) : OptionalInt.empty());
    assertThat(loop.maxInt(from, to, i -> i ^ 0x5555))
        .isEqualTo(from < to ? OptionalInt.of(max) : OptionalInt.empty());
    assertThat(loop.reduceInt(from, to, 0, i -> i * 7, (a, b) -> a ^ b)).isEqualTo(xor);
    // small integers as doubles add exactly, whatever the grouping
    assertThat(loop.sumDouble(from, to, i -> i % 1000)).isEqualTo((double) serialSumMod(from, to));
  }

  /** {@code start + size}, clipped at {@code Integer.MAX_VALUE}. */
  private static int end(int start, int size) {
    return (int) Math.min(Integer.MAX_VALUE, (long) start + size);
  }

  private static long serialSumMod(int from, int to) {
    long s = 0;
    for (int i = from; i < to; i++) {
      s += i % 1000;
    }
    return s;
  }

  @Example
  void longRangesBeyondIntegerMaxValue() {
    long from = Integer.MAX_VALUE - 100L;
    long to = Integer.MAX_VALUE + 100L;
    AtomicLong sum = new AtomicLong();
    AtomicInteger count = new AtomicInteger();
    Parallel.loop()
        .threads(3)
        .schedule(Schedule.dynamic(7))
        .forRangeLong(
            from,
            to,
            i -> {
              sum.addAndGet(i);
              count.incrementAndGet();
            });
    assertThat(count.get()).isEqualTo(200);
    assertThat(sum.get()).isEqualTo((from + to - 1) * 200 / 2);

    AtomicInteger nearEnd = new AtomicInteger();
    Parallel.loop()
        .threads(4)
        .schedule(Schedule.guided(3))
        .forRangeLong(Long.MAX_VALUE - 50, Long.MAX_VALUE, i -> nearEnd.incrementAndGet());
    assertThat(nearEnd.get()).isEqualTo(50);
    assertThatThrownBy(() -> Parallel.forRangeLong(Long.MIN_VALUE, Long.MAX_VALUE, i -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("range: [");
  }

  @Example
  void staticFloatingPointSumsAreTheSameOnEveryRun() {
    double[] values = new java.util.Random(42).doubles(100_000).map(d -> d * 1e6).toArray();
    Parallel.Loop loop = Parallel.loop().threads(4);
    double first = loop.sumDouble(0, values.length, i -> values[i]);
    for (int run = 0; run < 20; run++) {
      assertThat(loop.sumDouble(0, values.length, i -> values[i])).isEqualTo(first);
    }
    double serial = 0;
    for (double v : values) {
      serial += v;
    }
    assertThat(first).isCloseTo(serial, org.assertj.core.data.Offset.offset(1e-3));
    assertThat(loop.minDouble(0, values.length, i -> values[i]))
        .isEqualTo(OptionalDouble.of(java.util.Arrays.stream(values).min().orElseThrow()));
    assertThat(loop.maxLong(0, 0, i -> i)).isEqualTo(OptionalLong.empty());
  }

  @Example
  void theArticlesSquaresLoop() {
    int size = 1 << 16;
    double[] inp = IntStream.range(0, size).mapToDouble(i -> i * 0.5).toArray();
    double[] out = new double[size];
    Parallel.forRange(0, size, i -> out[i] = inp[i] * inp[i]);
    for (int i = 0; i < size; i++) {
      assertThat(out[i]).isEqualTo(inp[i] * inp[i]);
    }
  }

  @Example
  void theFirstExceptionIsThrownAfterEveryThreadHasLeftWithLaterOnesSuppressed() {
    for (Schedule schedule :
        List.of(
            Schedule.STATIC, Schedule.staticChunks(5), Schedule.dynamic(3), Schedule.guided(2))) {
      AtomicInteger inside = new AtomicInteger();
      AtomicInteger insideAtReturn = new AtomicInteger(-1);
      AtomicInteger ran = new AtomicInteger();
      Throwable thrown =
          org.assertj.core.api.Assertions.catchThrowable(
              () ->
                  Parallel.loop()
                      .threads(4)
                      .schedule(schedule)
                      .forRange(
                          0,
                          100_000,
                          i -> {
                            inside.incrementAndGet();
                            try {
                              ran.incrementAndGet();
                              if (i % 1000 == 999) {
                                throw new IllegalStateException("bad index " + i);
                              }
                            } finally {
                              inside.decrementAndGet();
                            }
                          }));
      insideAtReturn.set(inside.get());
      assertThat(thrown)
          .as(schedule.toString())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("bad index");
      for (Throwable s : thrown.getSuppressed()) {
        assertThat(s).isInstanceOf(IllegalStateException.class);
      }
      assertThat(insideAtReturn.get()).as("threads in the body when the call returned").isZero();
      assertThat(ran.get()).as("hand-out stopped early").isLessThan(100_000);
    }
  }

  @Example
  void nestedLoopsRunSeriallyAndDoNotDeadlock() {
    int outer = 8;
    int inner = 1000;
    long[] sums = new long[outer];
    ConcurrentHashMap<String, Boolean> innerThreads = new ConcurrentHashMap<>();
    Parallel.loop()
        .threads(4)
        .forRange(
            0,
            outer,
            o -> {
              String me = Thread.currentThread().getName();
              sums[o] =
                  Parallel.loop()
                      .threads(4)
                      .sumInt(
                          0,
                          inner,
                          i -> {
                            innerThreads.put(me + "->" + Thread.currentThread().getName(), true);
                            return i;
                          });
            });
    for (long s : sums) {
      assertThat(s).isEqualTo((long) inner * (inner - 1) / 2);
    }
    // each inner loop ran on the thread of the outer iteration that called it
    innerThreads
        .keySet()
        .forEach(
            k -> {
              String[] parts = k.split("->");
              assertThat(parts[1]).isEqualTo(parts[0]);
            });
  }

  @Example
  void loopsInsideJobServerTasksFromManyThreadsAtOnce() {
    try (JobServer server = JobServer.threads(8)) {
      List<Job<Long>> jobs = new ArrayList<>();
      for (int t = 0; t < 32; t++) {
        int k = t;
        jobs.add(
            server.submit(
                () ->
                    Parallel.loop()
                        .threads(4)
                        .schedule(Schedule.dynamic(16))
                        .sumInt(0, 10_000, i -> i + k)));
      }
      for (int t = 0; t < jobs.size(); t++) {
        assertThat(jobs.get(t).join()).isEqualTo(49_995_000L + 10_000L * t);
      }
    }
  }

  @Example
  void helperThreadsAreReusedNotLeaked() {
    Parallel.Loop loop = Parallel.loop().threads(4);
    loop.sumInt(0, 100_000, i -> i); // warm up: helpers exist now
    int before = loopThreads();
    for (int run = 0; run < 200; run++) {
      loop.schedule(run % 2 == 0 ? Schedule.STATIC : Schedule.dynamic(100))
          .sumInt(0, 10_000, i -> i);
    }
    assertThat(loopThreads()).isLessThanOrEqualTo(Math.max(before, 3));
    assertThat(LoopPool.SHARED.helpers()).isLessThanOrEqualTo(Math.max(before, 3));
  }

  private static int loopThreads() {
    return (int)
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith("parallel4j-loop-"))
            .count();
  }

  @Example
  void badOptionsAreNamed() {
    assertThatThrownBy(() -> Parallel.loop().threads(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("threads: 0 (expected: > 0)");
    assertThatThrownBy(() -> Schedule.dynamic(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("chunk: 0 (expected: > 0)");
    assertThatThrownBy(() -> Schedule.guided(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minChunk: -1 (expected: > 0)");
    assertThatThrownBy(() -> Parallel.loop().schedule(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("schedule");
    assertThat(Parallel.loop().threads(3).schedule(Schedule.guided(8)).toString())
        .isEqualTo("loop (threads=3, schedule=guided(8))");
  }

  @Example
  void allThreadsReallyTakePart() throws Exception {
    // with 3 threads each blocking until all 3 are inside, the loop only ends if 3 ran at once
    CountDownLatch allIn = new CountDownLatch(3);
    ConcurrentHashMap<String, Boolean> threads = new ConcurrentHashMap<>();
    Parallel.loop()
        .threads(3)
        .forRange(
            0,
            3,
            i -> {
              threads.put(Thread.currentThread().getName(), true);
              allIn.countDown();
              try {
                assertThat(allIn.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
              } catch (InterruptedException e) {
                throw new AssertionError(e);
              }
            });
    assertThat(threads).hasSize(3);
  }
}
