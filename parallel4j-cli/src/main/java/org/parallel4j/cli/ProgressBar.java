package org.parallel4j.cli;

import java.io.PrintWriter;
import org.parallel4j.Progress;
import org.parallel4j.ProgressListener;

/**
 * A progress bar on a terminal, redrawn in place: {@code sums [##########..........] 37/100 37%
 * 12.5/s}, as tqdm draws one over Python's {@code Pool.imap}. The last report ends the line.
 */
final class ProgressBar implements ProgressListener {
  private static final int WIDTH = 30;
  private final PrintWriter out;
  private final String label;

  ProgressBar(PrintWriter out, String label) {
    this.out = out;
    this.label = label;
  }

  @Override
  public void onProgress(Progress p) {
    out.print("\r" + render(label, p));
    if (p.finished()) {
      out.println();
    }
    out.flush();
  }

  /** One line of the bar, without the carriage return. */
  static String render(String label, Progress p) {
    double f = p.fraction();
    int filled = f < 0 ? 0 : (int) Math.round(f * WIDTH);
    StringBuilder sb = new StringBuilder(label).append(" [");
    for (int i = 0; i < WIDTH; i++) {
      sb.append(i < filled ? '#' : '.');
    }
    sb.append("] ").append(p.done()).append('/').append(p.total() < 0 ? "?" : p.total());
    if (f >= 0) {
      sb.append(String.format(" %3.0f%%", f * 100));
    }
    sb.append(String.format(" %.1f/s", p.rate()));
    if (p.failed() > 0) {
      sb.append(", ").append(p.failed()).append(" failed");
    }
    return sb.toString();
  }
}
