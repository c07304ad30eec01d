package org.parallel4j.cli.bench;

import java.util.List;
import java.util.Locale;

/**
 * One measured figure: {@code {"scenario": "overhead", "engine": "processes", "param":
 * "mode=submit", "metric": "tasks_per_s", "value": 123456.0, "unit": "1/s"}}.
 *
 * @param scenario io, cpu, overhead or loops
 * @param engine serial, threads, virtual, processes; python-*; or a loop contender
 * @param param what was varied, as {@code key=value[,key=value]}
 * @param metric what was measured, such as {@code wall_s} or {@code tasks_per_s}
 * @param value the figure (a median)
 * @param unit its unit
 */
public record Row(
    String scenario, String engine, String param, String metric, double value, String unit) {

  /** This row as a JSON object. */
  String toJson() {
    return String.format(
        Locale.ROOT,
        "{\"scenario\": %s, \"engine\": %s, \"param\": %s, \"metric\": %s, \"value\": %s,"
            + " \"unit\": %s}",
        quote(scenario),
        quote(engine),
        quote(param),
        quote(metric),
        Double.isFinite(value) ? Double.toString(value) : "null",
        quote(unit));
  }

  /** The rows as a JSON array, one per line. */
  static String toJson(List<Row> rows) {
    StringBuilder b = new StringBuilder("[\n");
    for (int i = 0; i < rows.size(); i++) {
      b.append("  ").append(rows.get(i).toJson()).append(i + 1 < rows.size() ? ",\n" : "\n");
    }
    return b.append("]\n").toString();
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
