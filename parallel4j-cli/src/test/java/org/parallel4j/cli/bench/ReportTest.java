package org.parallel4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTest {
  @Test
  void jsonEscapesAndKeepsTheRowShape() {
    Row r = new Row("io", "a\"b\\c", "tasks=3", "wall_s", 0.25, "s");
    assertThat(Row.toJson(List.of(r)))
        .isEqualTo(
            "[\n  {\"scenario\": \"io\", \"engine\": \"a\\\"b\\\\c\", \"param\": \"tasks=3\","
                + " \"metric\": \"wall_s\", \"value\": 0.25, \"unit\": \"s\"}\n]\n");
  }

  @Test
  void thePageEscapesTextAndDrawsABarPerPositiveValue() {
    List<Row> rows =
        List.of(
            new Row("cpu", "threads", "workers=1", "speedup", 1.0, "x"),
            new Row("cpu", "threads", "workers=2", "speedup", 1.9, "x"),
            new Row("cpu", "<script>", "workers=2", "speedup", 0.0, "x"));
    String page = Report.html("machine <1>", "parallel4j bench cpu", rows);
    assertThat(page)
        .contains("machine &lt;1&gt;", "&lt;script&gt;")
        .doesNotContain("<script>alert");
    assertThat(page.split("<rect class=\"bar\"", -1)).hasSize(3); // two bars: 0 has none
  }

  @Test
  void theProgressBarFitsTheTerminal() {
    for (int width : new int[] {40, 80, 200}) {
      String line =
          Progress.bar("overhead: processes task_us=100000 and a long label", 0.5, 3.2, width);
      assertThat(line.length()).isLessThan(width);
      assertThat(line).startsWith("[").contains(" 50%");
    }
  }

  @Test
  void axisLabelsAreShort() {
    assertThat(Report.si(1_500)).isEqualTo("1.5k");
    assertThat(Report.si(20_000_000)).isEqualTo("20M");
    assertThat(Report.si(0.01)).isEqualTo("0.01");
    assertThat(Report.si(100)).isEqualTo("100");
  }
}
