package org.parallel4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.parallel4j.TaskGroup;

/**
 * Article section 2.4: a producer thread and consumer threads sharing a {@link ClosableQueue}. The
 * producer puts its items and closes the queue; each consumer takes until the queue is closed and
 * drained, then ends on its own.
 *
 * <p>Run: {@code java ... ProducerConsumer}: prints the order each kind of queue yields.
 */
public final class ProducerConsumer {
  private ProducerConsumer() {}

  /**
   * Produces {@code items} into a queue of the given order and consumes them on {@code consumers}
   * threads. With {@code produceFirst} the consumers start only after every item is in, which makes
   * the order of a LIFO or priority queue visible; otherwise producer and consumers run at once.
   *
   * @return per consumer, the items it took, in the order it took them
   */
  public static List<List<Integer>> run(
      ClosableQueue.Order order, List<Integer> items, int consumers, boolean produceFirst)
      throws Exception {
    ClosableQueue<Integer> queue = ClosableQueue.of(order);
    try (TaskGroup<List<Integer>> group = TaskGroup.open()) {
      Runnable produce =
          () -> {
            items.forEach(queue::put); // produce some data
            queue.close();
          };
      if (produceFirst) {
        produce.run();
      } else {
        group.fork(
            () -> {
              produce.run();
              return List.of();
            });
      }
      List<CompletableFuture<List<Integer>>> taken = new ArrayList<>();
      for (int c = 0; c < consumers; c++) {
        taken.add(
            group.fork(
                () -> {
                  List<Integer> got = new ArrayList<>();
                  for (Optional<Integer> item = queue.take();
                      item.isPresent();
                      item = queue.take()) {
                    got.add(item.get()); // process the data
                  }
                  return got;
                }));
      }
      group.join();
      return taken.stream().map(CompletableFuture::join).toList();
    }
  }

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    List<Integer> items = List.of(5, 1, 4, 2, 3);
    for (ClosableQueue.Order order : ClosableQueue.Order.values()) {
      System.out.printf("%-8s put %s, took %s%n", order, items, run(order, items, 1, true).get(0));
    }
  }
}
