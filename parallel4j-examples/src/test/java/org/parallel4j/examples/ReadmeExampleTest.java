package org.parallel4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.TaskGroup;

/** The code shown in README.md and docs/guide.md, compiled and run, so that it stays true. */
class ReadmeExampleTest {
  @Test
  void readmeFirstExample() {
    List<Long> printed = new ArrayList<>();
    String stats;
    List<Long> sums;
    try (JobServer server = JobServer.threads(4)) { // pp: Server(ncpus=4)
      Job<Long> job = server.submit(Primes::sumBelow, 100_000L); // pp: submit(func, args)
      job.whenComplete((sum, error) -> printed.add(sum)); // pp: callback
      long sum = job.join(); // pp: job()
      sums = server.map(Primes::sumBelow, List.of(10L, 100L, 1000L));
      server.setWorkers(8); // pp: set_ncpus(8)
      stats = server.stats().toString(); // pp: print_stats()
      assertThat(sum).isEqualTo(454_396_537L);
    }
    assertThat(printed).containsExactly(454_396_537L);
    assertThat(sums).containsExactly(17L, 1060L, 76127L);
    assertThat(stats).contains("threads", "workers=8");
  }

  @Test
  void guideTaskGroupExample() throws Exception {
    try (TaskGroup<String> group = TaskGroup.open()) {
      CompletableFuture<String> a = group.fork(() -> fetch("a"));
      CompletableFuture<String> b = group.fork(() -> fetch("b"));
      group.join();
      assertThat(a.join() + b.join()).isEqualTo("page a" + "page b");
    }
  }

  private static String fetch(String what) {
    return "page " + what;
  }
}
