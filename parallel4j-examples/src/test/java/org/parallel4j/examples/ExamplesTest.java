package org.parallel4j.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Each of the article's examples runs and gives the exact answer. */
class ExamplesTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private String printed() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void primesMatchParallelPythonsFigures() {
    assertThat(Primes.sumBelow(100_000)).isEqualTo(454_396_537L);
    assertThat(Primes.sumBelow(10)).isEqualTo(2 + 3 + 5 + 7);
    assertThat(IntStream.range(0, 30).filter(Primes::isPrime).boxed().toList())
        .containsExactly(2, 3, 5, 7, 11, 13, 17, 19, 23, 29);
  }

  @Test
  void threadLoopsWaitForBothLoopsWithoutSleepingInMain() throws Exception {
    List<String> finished = ThreadLoops.run(Duration.ofMillis(200), Duration.ofMillis(20), out);
    assertThat(finished).containsExactlyInAnyOrder("loop 1", "loop 2");
    String text = printed();
    // both loops were reported done before main's final line
    assertThat(text.indexOf("All tasks done"))
        .isGreaterThan(text.indexOf("loop 1 done"))
        .isGreaterThan(text.indexOf("loop 2 done"));
  }

  @Test
  void sharedCounterIsExactUnderContention() {
    assertThat(SharedCounter.hammer(8, 50_000)).isEqualTo(8L * 50_000);
  }

  @Test
  void queuesYieldTheirOrder() throws Exception {
    List<Integer> items = List.of(5, 1, 4, 2, 3);
    assertThat(ProducerConsumer.run(ClosableQueue.Order.FIFO, items, 1, true).get(0))
        .containsExactly(5, 1, 4, 2, 3);
    assertThat(ProducerConsumer.run(ClosableQueue.Order.LIFO, items, 1, true).get(0))
        .containsExactly(3, 2, 4, 1, 5);
    assertThat(ProducerConsumer.run(ClosableQueue.Order.PRIORITY, items, 1, true).get(0))
        .containsExactly(1, 2, 3, 4, 5);
  }

  @Test
  void concurrentProducerAndConsumersShareEveryItemOnceAndStopCleanly() throws Exception {
    List<Integer> items = IntStream.range(0, 20_000).boxed().toList();
    for (ClosableQueue.Order order : ClosableQueue.Order.values()) {
      List<List<Integer>> perConsumer = ProducerConsumer.run(order, items, 4, false);
      List<Integer> all = new ArrayList<>();
      perConsumer.forEach(all::addAll);
      assertThat(all).as(order.name()).containsExactlyInAnyOrderElementsOf(items);
      if (order == ClosableQueue.Order.FIFO) {
        perConsumer.forEach(taken -> assertThat(taken).isSorted()); // FIFO keeps put order
      }
    }
  }

  @Test
  void closedQueueRefusesPuts() {
    ClosableQueue<Integer> q = ClosableQueue.of(ClosableQueue.Order.FIFO);
    q.close();
    assertThatThrownBy(() -> q.put(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("queue is closed; refused 1");
  }

  @Test
  void futuresExampleSumsEveryBound() {
    List<Long> bounds = List.of(1000L, 50L, 20_000L, 10L);
    Map<Long, Long> sums = FuturesExample.sums(bounds, 2, out);
    Map<Long, Long> expected = new HashMap<>();
    bounds.forEach(b -> expected.put(b, Primes.sumBelow(b)));
    assertThat(sums).isEqualTo(expected);
    assertThat(printed()).contains("all done: 4, not done: 0");
  }

  @Test
  void linkCrawlerFindsExactlyTheLinksOnEveryEngine() throws Exception {
    int pages = 60;
    Map<String, Map<String, List<String>>> byEngine =
        LinkCrawler.compare(pages, Duration.ofMillis(2), 8, out);
    assertThat(byEngine).containsOnlyKeys("serial", "threads", "virtual");
    for (var entry : byEngine.entrySet()) {
      Map<String, List<String>> result = entry.getValue();
      assertThat(result).as(entry.getKey()).hasSize(pages);
      result.forEach(
          (url, links) -> {
            int id = Integer.parseInt(url.substring(url.lastIndexOf('/') + 1));
            assertThat(links).as(url).isEqualTo(LinkCrawler.linksOf(id, pages));
          });
    }
    assertThat(printed()).contains("serial", "8 threads", "virtual threads");
  }

  @Test
  void parallelSquaresEqualTheSerialLoop() {
    double[] inp = IntStream.range(0, 100_003).mapToDouble(i -> i * 0.25 - 7).toArray();
    double[] out = new double[inp.length];
    ParallelLoops.squares(inp, out);
    for (int i = 0; i < inp.length; i++) {
      assertThat(out[i]).isEqualTo(inp[i] * inp[i]);
    }
  }

  @Test
  void mandelbrotCountsAgreeUnderEverySchedule() {
    int rows = 96;
    long serial = 0;
    for (int r = 0; r < rows; r++) {
      serial += ParallelLoops.mandelbrotRow(r, rows, 200);
    }
    assertThat(serial).isPositive();
    assertThat(ParallelLoops.compareSchedules(rows, 200, out))
        .containsOnlyKeys("static", "dynamic(1)", "guided(1)");
    assertThat(ParallelLoops.mandelbrot(org.parallel4j.loops.Parallel.loop(), rows, 200))
        .isEqualTo(serial);
    assertThat(printed()).contains("bounded points: " + serial);
  }

  @Test
  void ioWaitOverlapsOnlyWhenConcurrent() throws Exception {
    List<Duration> waits =
        List.of(Duration.ofMillis(30), Duration.ofMillis(20), Duration.ofMillis(10));
    assertThat(IoWait.serial(waits).maxConcurrent()).isEqualTo(1);
    assertThat(IoWait.concurrent(waits).maxConcurrent()).isEqualTo(3);
    IoWait.compare(waits, out);
    assertThat(printed()).contains("serial:", "concurrent:");
  }
}
