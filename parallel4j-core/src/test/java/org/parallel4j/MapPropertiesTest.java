package org.parallel4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** map and mapUnordered agree with a serial loop for any inputs, chunk size and in-flight bound. */
class MapPropertiesTest {
  private static JobServer server;

  @BeforeContainer
  static void start() {
    server = JobServer.threads(3);
  }

  @AfterContainer
  static void stop() {
    server.close();
  }

  @Property(tries = 200)
  void mapEqualsTheSerialLoop(
      @ForAll @Size(max = 300) List<Integer> inputs,
      @ForAll @IntRange(min = 0, max = 50) int chunk) {
    List<Long> expected = inputs.stream().map(x -> (long) x * x).toList();
    assertThat(server.map(x -> (long) x * x, inputs, chunk)).isEqualTo(expected);
  }

  @Property(tries = 200)
  void mapUnorderedYieldsEveryResultOnce(
      @ForAll @Size(max = 300) List<Integer> inputs,
      @ForAll @IntRange(min = 1, max = 50) int chunk,
      @ForAll @IntRange(min = 0, max = 20) int maxInFlight) {
    List<Long> expected = inputs.stream().map(x -> (long) x * 3).toList();
    try (var results = server.mapUnordered(x -> (long) x * 3, inputs, chunk, maxInFlight)) {
      assertThat(results.toList()).containsExactlyInAnyOrderElementsOf(expected);
    }
  }
}
