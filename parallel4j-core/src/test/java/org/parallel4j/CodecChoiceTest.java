package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.parallel4j.codec.KryoCodec;
import org.parallel4j.spi.Codec;

/** The codec is the server's choice, made through the builder, and the workers use the same. */
class CodecChoiceTest {
  /** Kryo underneath, counting what the server's side encodes. */
  public static final class CountingCodec implements Codec {
    static final AtomicInteger ENCODED = new AtomicInteger();
    private final Codec kryo = new KryoCodec();

    @Override
    public String name() {
      return "counting";
    }

    @Override
    public byte[] encode(Object value) throws IOException {
      ENCODED.incrementAndGet();
      return kryo.encode(value);
    }

    @Override
    public Object decode(byte[] bytes) throws IOException {
      return kryo.decode(bytes);
    }

    @Override
    public Object decode(byte[] bytes, int offset, int length) throws IOException {
      return kryo.decode(bytes, offset, length);
    }
  }

  /** A codec that no worker can make: it has no public no-argument constructor. */
  public static final class UnmakeableCodec implements Codec {
    private final Codec kryo = new KryoCodec();

    public UnmakeableCodec(String unused) {}

    @Override
    public String name() {
      return "unmakeable";
    }

    @Override
    public byte[] encode(Object value) throws IOException {
      return kryo.encode(value);
    }

    @Override
    public Object decode(byte[] bytes) throws IOException {
      return kryo.decode(bytes);
    }
  }

  @Test
  void workerProcessesRunWithTheCodecTheServerWasGiven() throws Exception {
    int before = CountingCodec.ENCODED.get();
    try (JobServer server = JobServer.builder().processes(1).codec(new CountingCodec()).build()) {
      int offset = 2;
      assertThat(server.submit(x -> x + offset, 40).get(60, SECONDS)).isEqualTo(42);
      assertThat(server.map(x -> x * 2, java.util.List.of(1, 2, 3))).containsExactly(2, 4, 6);
    }
    assertThat(CountingCodec.ENCODED.get()).as("encoded by the given codec").isGreaterThan(before);
  }

  @Test
  void aCodecTheWorkersCannotMakeFailsTheBuildNamingIt() {
    assertThatThrownBy(
            () -> JobServer.builder().processes(1).codec(new UnmakeableCodec("x")).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no worker process could be started")
        .hasMessageContaining(UnmakeableCodec.class.getName())
        .hasMessageContaining("public no-argument constructor");
  }

  @Test
  void theCodecMaySetOnlyOnce() {
    assertThatThrownBy(
            () -> JobServer.builder().codec(new CountingCodec()).codec(new CountingCodec()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("codec: already set");
  }
}
