package org.parallel4j.shared;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.parallel4j.Job;
import org.parallel4j.JobServer;

/** Shared memory between real worker processes and the parent, under contention. */
class SharedMemoryTest {
  private static String uniqueName() {
    return "test-" + UUID.randomUUID();
  }

  @Test
  void workersAddingToOneCounterLoseNoUpdate() throws Exception {
    int workers = 4;
    int jobsPerWorker = 8;
    int perJob = 25_000;
    try (SharedMemory memory = SharedMemory.create(uniqueName(), 64);
        JobServer server = JobServer.processes(workers)) {
      SharedCounter counter = memory.counter(8);
      List<Job<Long>> jobs = new ArrayList<>();
      for (int j = 0; j < workers * jobsPerWorker; j++) {
        jobs.add(
            server.submit(
                n -> {
                  for (int i = 0; i < n; i++) {
                    counter.incrementAndGet();
                  }
                  return ProcessHandle.current().pid();
                },
                perJob));
      }
      List<Long> pids = new ArrayList<>();
      for (Job<Long> job : jobs) {
        pids.add(job.get(120, SECONDS));
      }
      assertThat(pids.stream().distinct().count()).as("worker processes used").isGreaterThan(1);
      assertThat(counter.get()).isEqualTo((long) workers * jobsPerWorker * perJob);
      assertThat(memory.longs().get(0)).as("the slot before the counter").isZero();
    }
  }

  @Test
  void anArrayFilledBySeveralWorkersIsReadBackByTheParent() throws Exception {
    int n = 10_000;
    try (SharedMemory memory = SharedMemory.create(uniqueName(), 8L * n * 2);
        JobServer server = JobServer.processes(3)) {
      SharedMemory.LongArray squares = memory.longs(0, n);
      SharedMemory.DoubleArray halves = memory.doubles(8L * n, n);
      server.map(
          i -> {
            squares.set(i, (long) i * i);
            halves.add(i, i / 2.0);
            return ProcessHandle.current().pid();
          },
          IntStream.range(0, n).boxed().toList(),
          100);
      for (int i = 0; i < n; i++) {
        assertThat(squares.get(i)).isEqualTo((long) i * i);
        assertThat(halves.get(i)).isEqualTo(i / 2.0);
      }
      assertThat(squares.compareAndSet(3, 9, -1)).isTrue();
      assertThat(squares.compareAndSet(3, 9, -2)).isFalse();
      assertThat(server.submit(() -> squares.get(3)).get(60, SECONDS)).isEqualTo(-1L);
    }
  }

  @Test
  void namesSizesAndLifetimeAreChecked() {
    String name = uniqueName();
    SharedMemory created = SharedMemory.create(name, 16);
    try (SharedMemory opened = SharedMemory.open(name)) {
      opened.counter(0).addAndGet(5);
      assertThat(created.counter(0).get()).isEqualTo(5);
      assertThatThrownBy(() -> SharedMemory.create(name, 16))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("exists already");
    }
    created.close();
    assertThatThrownBy(() -> created.counter(0).get())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> SharedMemory.open(name))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no shared memory named");
    assertThatThrownBy(() -> SharedMemory.create("../etc", 16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name");
    assertThatThrownBy(() -> SharedMemory.create(uniqueName(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bytes: 0");
    try (SharedMemory m = SharedMemory.create(uniqueName(), 16)) {
      assertThatThrownBy(() -> m.longs(8, 2)).isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> m.longs(4, 1)).isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> m.longs().get(2)).isInstanceOf(IndexOutOfBoundsException.class);
    }
  }
}
