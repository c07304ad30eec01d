package org.parallel4j.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/** The bench's results as a terminal table and as one self-contained HTML page. */
final class Report {
  private static final String[] PALETTE = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf"
  };

  /** One colour per engine in every chart; others take the palette in turn. */
  private static final Map<String, String> COLOURS =
      Map.ofEntries(
          Map.entry("serial", "#7f7f7f"),
          Map.entry("threads", "#1f77b4"),
          Map.entry("virtual", "#ff7f0e"),
          Map.entry("processes", "#2ca02c"),
          Map.entry("python-serial", "#c7c7c7"),
          Map.entry("python-threads", "#8c564b"),
          Map.entry("python-processpool", "#9467bd"),
          Map.entry("python-pool", "#e377c2"),
          Map.entry("python-asyncio", "#bcbd22"),
          Map.entry("streams", "#17becf"),
          Map.entry("forkjoin", "#d62728"),
          Map.entry("static", "#1f77b4"),
          Map.entry("dynamic", "#ff7f0e"),
          Map.entry("guided", "#2ca02c"),
          Map.entry("floor", "#000000"));

  private static String colour(String engine, int index) {
    return COLOURS.getOrDefault(engine, PALETTE[index % PALETTE.length]);
  }

  /** A short axis label: 1.5k, 20M, 0.01. */
  static String si(double v) {
    double a = Math.abs(v);
    if (a >= 1e9) {
      return trim(v / 1e9) + "G";
    }
    if (a >= 1e6) {
      return trim(v / 1e6) + "M";
    }
    if (a >= 1e3) {
      return trim(v / 1e3) + "k";
    }
    return trim(v);
  }

  private static String trim(double v) {
    String s = String.format(Locale.ROOT, "%.3g", v);
    if (s.contains(".") && !s.contains("e")) {
      s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return s;
  }

  private Report() {}

  /** The rows as aligned text, a block per scenario. */
  static String table(String machine, List<Row> rows) {
    StringBuilder b = new StringBuilder("machine: ").append(machine).append('\n');
    String scenario = null;
    for (Row r : rows) {
      if (!r.scenario().equals(scenario)) {
        scenario = r.scenario();
        b.append('\n')
            .append(
                String.format(
                    Locale.ROOT,
                    "%-10s %-20s %-28s %-12s %16s %s%n",
                    "scenario",
                    "engine",
                    "param",
                    "metric",
                    "value",
                    "unit"));
      }
      b.append(
          String.format(
              Locale.ROOT,
              "%-10s %-20s %-28s %-12s %16s %s%n",
              r.scenario(),
              r.engine(),
              r.param(),
              r.metric(),
              format(r.value()),
              r.unit()));
    }
    return b.toString();
  }

  static String format(double v) {
    double a = Math.abs(v);
    if (a >= 1e6) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%,.1f", v);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.3f", v);
    }
    return String.format(Locale.ROOT, "%.4f", v);
  }

  /** One chart: the rows it shows, and how. */
  private record Chart(String title, Predicate<Row> rows, boolean log, String unit) {}

  private static List<Chart> charts(String scenario) {
    return switch (scenario) {
      case "io" ->
          List.of(
              new Chart(
                  "Wall time of K tasks waiting on I/O (log scale; lower is better)",
                  r -> r.metric().equals("wall_s"),
                  true,
                  "s"));
      case "cpu" ->
          List.of(
              new Chart(
                  "Speed-up over serial, sum_primes (higher is better)",
                  r -> r.metric().equals("speedup"),
                  false,
                  "x"));
      case "overhead" ->
          List.of(
              new Chart(
                  "Trivial tasks per second (log scale; higher is better)",
                  r -> r.metric().equals("tasks_per_s"),
                  true,
                  "1/s"),
              new Chart(
                  "Sequential round trip, median (log scale; lower is better)",
                  r -> r.metric().equals("rtt_us_p50"),
                  true,
                  "µs"),
              new Chart(
                  "Speed-up over a serial loop by task size (log scale; above 1 pays off)",
                  r -> r.metric().equals("speedup"),
                  true,
                  "x"));
      case "loops" ->
          List.of(
              new Chart(
                  "Wall time per loop (lower is better)",
                  r -> r.metric().equals("wall_s"),
                  false,
                  "s"),
              new Chart(
                  "Memory bandwidth of squares (higher is better)",
                  r -> r.metric().equals("gbytes_per_s"),
                  false,
                  "GB/s"));
      default -> List.of();
    };
  }

  /** The page: machine, then per scenario its charts and its table; no network needed. */
  static String html(String machine, String command, List<Row> rows) {
    Map<String, List<Row>> byScenario = new LinkedHashMap<>();
    for (Row r : rows) {
      byScenario.computeIfAbsent(r.scenario(), k -> new ArrayList<>()).add(r);
    }
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>parallel4j bench</title><style>")
        .append("body{font-family:sans-serif;margin:2em;max-width:1000px;color:#222}")
        .append("table{border-collapse:collapse;font-size:13px;margin:1em 0}")
        .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}")
        .append("td.v{text-align:right;font-variant-numeric:tabular-nums}")
        .append("svg{display:block;margin:1em 0}.axis{font-size:11px;fill:#444}")
        .append("</style></head><body>\n<h1>parallel4j bench</h1>\n<p><b>Machine:</b> ")
        .append(escape(machine))
        .append("<br><b>Command:</b> <code>")
        .append(escape(command))
        .append("</code></p>\n");
    for (Map.Entry<String, List<Row>> e : byScenario.entrySet()) {
      b.append("<h2 id=\"")
          .append(escape(e.getKey()))
          .append("\">")
          .append(escape(e.getKey()))
          .append("</h2>\n");
      for (Chart c : charts(e.getKey())) {
        List<Row> shown = e.getValue().stream().filter(c.rows()).toList();
        if (!shown.isEmpty()) {
          b.append(svg(c, shown));
        }
      }
      b.append("<table><tr><th>engine</th><th>param</th><th>metric</th><th>value</th>")
          .append("<th>unit</th></tr>\n");
      for (Row r : e.getValue()) {
        b.append("<tr><td>")
            .append(escape(r.engine()))
            .append("</td><td>")
            .append(escape(r.param()))
            .append("</td><td>")
            .append(escape(r.metric()))
            .append("</td><td class=\"v\">")
            .append(escape(format(r.value())))
            .append("</td><td>")
            .append(escape(r.unit()))
            .append("</td></tr>\n");
      }
      b.append("</table>\n");
    }
    // the page checks its own charts once drawn, for headless tests: body[data-charts]
    b.append("<script>window.addEventListener('load',function(){var n=0,bad=0;")
        .append("document.querySelectorAll('svg.chart').forEach(function(s){")
        .append("var bars=s.querySelectorAll('rect.bar');var drawn=0;")
        .append("bars.forEach(function(r){var x=r.getBBox();if(x.width>0&&x.height>0)drawn++;});")
        .append("if(drawn>0)n++;else bad++;});")
        .append("document.body.setAttribute('data-charts',n+' drawn, '+bad+' empty');});")
        .append("</script>\n</body></html>\n");
    return b.toString();
  }

  /** A grouped bar chart: a group per param, a bar per engine. */
  private static String svg(Chart c, List<Row> rows) {
    Set<String> groups = new LinkedHashSet<>();
    Set<String> series = new LinkedHashSet<>();
    for (Row r : rows) {
      groups.add(r.param());
      series.add(r.engine());
    }
    List<String> g = new ArrayList<>(groups);
    List<String> s = new ArrayList<>(series);
    double max = rows.stream().mapToDouble(Row::value).filter(v -> v > 0).max().orElse(1);
    double min = rows.stream().mapToDouble(Row::value).filter(v -> v > 0).min().orElse(1);
    double lo = c.log() ? Math.floor(Math.log10(min)) : 0;
    double hi = c.log() ? Math.ceil(Math.log10(max)) : max * 1.1;
    if (hi <= lo) {
      hi = lo + 1;
    }
    int width = 960;
    int left = 80;
    int top = 30;
    int plotH = 240;
    int legendRows = (s.size() + 3) / 4;
    boolean slanted = g.size() > 6;
    int labels = slanted ? 110 : 0; // room for slanted group labels
    int height = top + plotH + 60 + labels + 18 * legendRows;
    double groupW = (width - left - 20.0) / g.size();
    double barW = Math.max(2, (groupW - 10) / s.size());
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "<svg class=\"chart\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">",
            width,
            height,
            width,
            height,
            escape(c.title())));
    b.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"18\" font-weight=\"bold\"" + " font-size=\"14\">%s</text>",
            left,
            escape(c.title())));
    // axis and ticks
    int ticks = c.log() ? (int) (hi - lo) : 5;
    for (int t = 0; t <= ticks; t++) {
      double v = c.log() ? lo + t : hi * t / ticks;
      double y = top + plotH - plotH * (v - lo) / (hi - lo);
      String label = si(c.log() ? Math.pow(10, v) : v);
      b.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"" + " stroke=\"#ddd\"/>",
              left,
              width - 20,
              y,
              y));
      b.append(
          String.format(
              Locale.ROOT,
              "<text class=\"axis\" x=\"%d\" y=\"%.1f\"" + " text-anchor=\"end\">%s</text>",
              left - 6,
              y + 4,
              escape(label + " " + c.unit())));
    }
    for (int gi = 0; gi < g.size(); gi++) {
      double gx = left + gi * groupW + 5;
      for (Row r : rows) {
        if (!r.param().equals(g.get(gi)) || r.value() <= 0) {
          continue;
        }
        int si = s.indexOf(r.engine());
        double v = c.log() ? Math.log10(r.value()) : r.value();
        double h = Math.max(1, plotH * (v - lo) / (hi - lo));
        b.append(
            String.format(
                Locale.ROOT,
                "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\""
                    + " width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %s %s</title></rect>",
                gx + si * barW,
                top + plotH - h,
                barW - 1,
                h,
                colour(r.engine(), si),
                escape(r.engine()),
                escape(r.param()),
                escape(format(r.value())),
                escape(r.unit())));
      }
      double lx = gx + groupW / 2 - 5;
      int ly = top + plotH + 16;
      b.append( // many groups: labels slanted so that they do not overlap
          String.format(
              Locale.ROOT,
              "<text class=\"axis\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\"%s>%s</text>",
              lx,
              ly,
              slanted ? "end" : "middle",
              slanted
                  ? String.format(Locale.ROOT, " transform=\"rotate(-30 %.1f %d)\"", lx, ly)
                  : "",
              escape(g.get(gi))));
    }
    for (int si = 0; si < s.size(); si++) {
      int lx = left + (si % 4) * 220;
      int ly = top + plotH + 40 + labels + (si / 4) * 18;
      b.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\""
                  + " fill=\"%s\"/><text class=\"axis\" x=\"%d\" y=\"%d\">%s</text>",
              lx,
              ly - 10,
              colour(s.get(si), si),
              lx + 16,
              ly,
              escape(s.get(si))));
    }
    return b.append("</svg>\n").toString();
  }

  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
