package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parallel4j.spi.PayloadTooLargeException;

/**
 * Arguments and results too large to cross to or from a worker process fail their own job with
 * {@link PayloadTooLargeException}, naming the size and the bound; the worker stays (the same pid
 * runs the next job) and the job is not retried. Before, a result over the fixed 64 MiB frame bound
 * broke the channel: the worker was counted as crashed and the job retried until it failed with
 * {@code WorkerCrashedException}.
 */
@Timeout(120)
class PayloadTest {
  private static long pid() {
    return ProcessHandle.current().pid();
  }

  @Test
  void aResultOverTheBoundFailsItsJobAloneAndTheWorkerStays() throws Exception {
    try (JobServer server = JobServer.builder().processes(1).maxPayload(1 << 20).build()) {
      long before = server.submit(PayloadTest::pid).get(60, SECONDS);
      Job<byte[]> big = server.submit(() -> new byte[2 << 20]);
      assertThatThrownBy(() -> big.get(60, SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(PayloadTooLargeException.class)
          .hasMessageContaining("the result of job " + big.id())
          .hasMessageContaining("over the bound of 1,048,576 bytes");
      assertThat(big.attempts()).isEqualTo(1);
      assertThat(server.submit(PayloadTest::pid).get(60, SECONDS)).isEqualTo(before);
      assertThat(server.submit(() -> new byte[1000]).get(60, SECONDS)).hasSize(1000);
    }
  }

  @Test
  void anArgumentOverTheBoundFailsItsJobAloneBeforeItIsSent() throws Exception {
    try (JobServer server = JobServer.builder().processes(1).maxPayload(1 << 20).build()) {
      long before = server.submit(PayloadTest::pid).get(60, SECONDS);
      Job<Integer> big = server.submit(b -> b.length, new byte[2 << 20]);
      assertThatThrownBy(() -> big.get(60, SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(PayloadTooLargeException.class)
          .hasMessageContaining("the task of job " + big.id())
          .satisfies(e -> assertThat(((PayloadTooLargeException) e).size()).isGreaterThan(2 << 20));
      assertThat(server.submit(PayloadTest::pid).get(60, SECONDS)).isEqualTo(before);
    }
  }

  /** The 64 MiB result that used to kill its worker crosses with the default bound. */
  @Test
  void aResultOf64MiBCrossesWithTheDefaultBound() throws Exception {
    try (JobServer server = JobServer.builder().processes(1).build()) {
      byte[] back =
          server
              .submit(
                  () -> {
                    byte[] b = new byte[64 << 20];
                    b[b.length - 1] = 42;
                    return b;
                  })
              .get(60, SECONDS);
      assertThat(back).hasSize(64 << 20);
      assertThat(back[back.length - 1]).isEqualTo((byte) 42);
    }
  }
}
