package org.parallel4j.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** A worker's standard output: what tasks print and the worker's rings, on one stream. */
class StdoutTest {
  /**
   * Any bytes a task writes (0xFE, 0xFF, line ends included), with rings between the writes, come
   * apart into the same lines and the same number of rings, however the stream is cut into reads.
   */
  @Property(tries = 500)
  void whatTasksPrintAndTheRingsComeApartAsTheyWent(
      @ForAll @Size(max = 20) List<@Size(max = 40) List<Byte>> writes,
      @ForAll @IntRange(min = 1, max = 17) int readSize)
      throws IOException {
    ByteArrayOutputStream fd = new ByteArrayOutputStream();
    Stdout.Encoder encoder = new Stdout.Encoder(fd);
    OutputStream text = encoder.text();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int rings = 0;
    for (List<Byte> write : writes) {
      byte[] b = new byte[write.size()];
      for (int i = 0; i < b.length; i++) {
        b[i] = write.get(i);
      }
      text.write(b);
      printed.write(b);
      if (b.length % 2 == 0) {
        encoder.ring();
        rings++;
      }
    }

    List<String> lines = new ArrayList<>();
    Stdout.Decoder decoder = new Stdout.Decoder(lines::add);
    byte[] stream = fd.toByteArray();
    int rung = 0;
    for (int at = 0; at < stream.length; at += readSize) {
      byte[] chunk =
          java.util.Arrays.copyOfRange(stream, at, Math.min(stream.length, at + readSize));
      rung += decoder.feed(chunk, chunk.length);
    }
    decoder.finish();

    assertThat(rung).isEqualTo(rings);
    assertThat(lines).isEqualTo(expectedLines(printed.toByteArray()));
  }

  @Test
  void escapedBytesArriveAsTheyWereWritten() throws IOException {
    ByteArrayOutputStream fd = new ByteArrayOutputStream();
    Stdout.Encoder encoder = new Stdout.Encoder(fd);
    PrintStream out = new PrintStream(encoder.text(), true, StandardCharsets.ISO_8859_1);
    out.println("\u00fe\u00ff"); // 0xFE 0xFF in ISO-8859-1
    encoder.ring();
    out.close(); // only flushes: the rings need the stream
    encoder.ring();
    assertThat(fd.toByteArray())
        .as("escaped, rung, and still open after close()")
        .containsExactly(0xFE, 0x02, 0xFE, 0x01, '\n', 0xFF, 0xFF);

    List<String> lines = new ArrayList<>();
    Stdout.Decoder decoder = new Stdout.Decoder(lines::add);
    byte[] utf8 = "h\u00e9llo \u2603\r\n10%\r20%\rno end".getBytes(StandardCharsets.UTF_8);
    assertThat(decoder.feed(utf8, utf8.length)).isZero();
    decoder.finish();
    assertThat(lines).containsExactly("h\u00e9llo \u2603", "10%", "20%", "no end");

    lines.clear(); // output that never ends a line is handed on in bounded pieces
    byte[] endless = new byte[3 * Stdout.Decoder.MAX_LINE + 5];
    java.util.Arrays.fill(endless, (byte) 'x');
    decoder.feed(endless, endless.length);
    assertThat(lines).hasSize(3).allMatch(l -> l.length() == Stdout.Decoder.MAX_LINE);
    decoder.finish();
    assertThat(lines).hasSize(4).last().isEqualTo("xxxxx");
  }

  /** Lines as {@code BufferedReader.readLine} splits them, each decoded as UTF-8. */
  private static List<String> expectedLines(byte[] printed) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < printed.length; i++) {
      if (printed[i] == '\n' || printed[i] == '\r') {
        lines.add(new String(printed, start, i - start, StandardCharsets.UTF_8));
        if (printed[i] == '\r' && i + 1 < printed.length && printed[i + 1] == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    if (start < printed.length) {
      lines.add(new String(printed, start, printed.length - start, StandardCharsets.UTF_8));
    }
    return lines;
  }
}
