package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TaskGroupTest {
  @Test
  void joinWaitsForEverySubtaskAndReturnsResultsInForkOrder() throws Exception {
    CountDownLatch bothStarted = new CountDownLatch(2);
    try (TaskGroup<String> group = TaskGroup.open()) {
      CompletableFuture<String> a =
          group.fork(
              () -> {
                bothStarted.countDown();
                bothStarted.await(); // proves the two run at the same time
                return "a";
              });
      CompletableFuture<String> b =
          group.fork(
              () -> {
                bothStarted.countDown();
                bothStarted.await();
                return "b";
              });
      assertThat(group.join()).containsExactly("a", "b");
      assertThat(a).isCompletedWithValue("a");
      assertThat(b).isCompletedWithValue("b");
    }
  }

  @Test
  void firstFailureCancelsTheRestAndIsThrownWithLaterOnesSuppressed() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    AtomicInteger interrupted = new AtomicInteger();
    CountDownLatch blockersStarted = new CountDownLatch(3);
    try (TaskGroup<Integer> group = TaskGroup.open()) {
      List<CompletableFuture<Integer>> blockers = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        blockers.add(
            group.fork(
                () -> {
                  blockersStarted.countDown();
                  try {
                    never.await();
                  } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                    throw e;
                  }
                  return 0;
                }));
      }
      assertThat(blockersStarted.await(30, SECONDS)).isTrue();
      group.fork(
          () -> {
            throw new IOException("first");
          });
      assertThatThrownBy(group::join)
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(IOException.class)
          .hasMessage("first");
      assertThat(interrupted.get()).isEqualTo(3); // join returned only after they ended
      assertThat(blockers).allMatch(CompletableFuture::isCancelled);
    }
  }

  @Test
  void laterFailuresAreSuppressed() {
    CountDownLatch bothStarted = new CountDownLatch(2);
    TaskGroup<Integer> group = TaskGroup.open();
    for (String message : List.of("x", "y")) {
      group.fork(
          () -> {
            bothStarted.countDown();
            bothStarted.await();
            throw new IllegalStateException(message);
          });
    }
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(group::join);
    group.close();
    assertThat(thrown).isInstanceOf(ExecutionException.class);
    // both may fail before either cancels the other: the second is then suppressed
    List<String> messages = new ArrayList<>();
    messages.add(thrown.getCause().getMessage());
    for (Throwable s : thrown.getSuppressed()) {
      messages.add(s.getMessage());
    }
    assertThat(messages).containsAnyOf("x", "y").doesNotHaveDuplicates();
  }

  @Test
  void closeCancelsRunningSubtasksAndWaitsForTheirThreads() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger ended = new AtomicInteger();
    TaskGroup<Integer> group = TaskGroup.open();
    CompletableFuture<Integer> f =
        group.fork(
            () -> {
              started.countDown();
              try {
                new CountDownLatch(1).await();
                return 1;
              } finally {
                ended.incrementAndGet();
              }
            });
    assertThat(started.await(30, SECONDS)).isTrue();
    group.close();
    assertThat(ended.get()).isEqualTo(1);
    assertThat(f.isCancelled()).isTrue();
    assertThatThrownBy(() -> group.fork(() -> 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void runsOnTheGivenThreadFactory() throws Exception {
    try (TaskGroup<String> group = TaskGroup.open(Thread.ofPlatform().name("loop-", 1).factory())) {
      group.fork(() -> Thread.currentThread().getName());
      assertThat(group.join()).singleElement().asString().startsWith("loop-");
    }
  }
}
