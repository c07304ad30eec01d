package org.parallel4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Engines by name: the command line's lowercase names, and nothing else. */
class EngineTest {
  @Test
  void everyEngineIsFoundByItsName() {
    for (Engine e : Engine.values()) {
      assertThat(Engine.of(e.label())).isSameAs(e);
      assertThat(e.toString()).isEqualTo(e.label());
    }
    assertThat(Engine.names()).isEqualTo("threads, virtual, processes");
  }

  @Test
  void anUnknownNameIsRefusedNamingItAndTheAcceptedOnes() {
    assertThatThrownBy(() -> Engine.of("gpu"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("engine: gpu (expected: threads, virtual, processes)");
    assertThatThrownBy(() -> Engine.of("--engine", "THREADS")) // no default, no guessing
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--engine: THREADS (expected: threads, virtual, processes)");
  }
}
