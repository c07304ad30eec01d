package org.parallel4j.examples;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.parallel4j.loops.Parallel;
import org.parallel4j.loops.Schedule;

/**
 * Article section 2.7, numpy + OpenMP: Cython's {@code prange} loop {@code out[i] = inp[i] *
 * inp[i]}, and an irregular loop where the schedule matters.
 *
 * <p>The irregular loop counts, per row of the upper half of the Mandelbrot set's window, the
 * points that stay bounded: rows near the real axis cross the set and cost hundreds of iterations a
 * point, rows near the top escape at once. A STATIC schedule gives the first thread the expensive
 * rows; DYNAMIC hands rows out as threads free up.
 *
 * <p>Run: {@code java ... ParallelLoops [size rows]} (default 2^24 and 1024).
 */
public final class ParallelLoops {
  private ParallelLoops() {}

  /** {@code out[i] = inp[i] * inp[i]} for every {@code i}: the article's {@code prange} loop. */
  public static void squares(double[] inp, double[] out) {
    Parallel.forRange(0, inp.length, i -> out[i] = inp[i] * inp[i]);
  }

  /** The number of bounded points in row {@code row} of a {@code rows x rows} grid. */
  public static int mandelbrotRow(int row, int rows, int maxIterations) {
    double y = 1.25 * row / rows; // the upper half: y in [0, 1.25)
    int inside = 0;
    for (int col = 0; col < rows; col++) {
      double x = -2.0 + 2.5 * col / rows; // x in [-2, 0.5)
      double zr = 0;
      double zi = 0;
      int k = 0;
      while (k < maxIterations && zr * zr + zi * zi <= 4) {
        double t = zr * zr - zi * zi + x;
        zi = 2 * zr * zi + y;
        zr = t;
        k++;
      }
      if (k == maxIterations) {
        inside++;
      }
    }
    return inside;
  }

  /** The bounded points of the whole grid, rows divided by {@code loop}'s schedule. */
  public static long mandelbrot(Parallel.Loop loop, int rows, int maxIterations) {
    return loop.sumInt(0, rows, row -> mandelbrotRow(row, rows, maxIterations));
  }

  /** Times the irregular loop under each schedule; returns schedule to milliseconds. */
  public static Map<String, Double> compareSchedules(int rows, int maxIterations, PrintStream out) {
    Map<String, Double> times = new TreeMap<>();
    long expected = -1;
    for (Schedule s :
        List.of(Schedule.STATIC, Schedule.dynamic(1), Schedule.guided(1), Schedule.STATIC)) {
      long t0 = System.nanoTime();
      long points = mandelbrot(Parallel.loop().schedule(s), rows, maxIterations);
      double ms = (System.nanoTime() - t0) / 1e6;
      if (expected >= 0 && points != expected) {
        throw new IllegalStateException(s + " counted " + points + ", not " + expected);
      }
      expected = points;
      times.put(s.toString(), ms); // the second STATIC run, warmed up, replaces the first
    }
    times.forEach((s, ms) -> out.printf("  %-12s %8.1f ms%n", s, ms));
    out.printf("  bounded points: %d%n", expected);
    return times;
  }

  /** Entry point. */
  public static void main(String[] args) {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 1 << 24;
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    double[] inp = new double[size];
    Parallel.forRange(0, size, i -> inp[i] = i * 0.5);
    double[] out = new double[size];
    long t0 = System.nanoTime();
    squares(inp, out);
    System.out.printf(
        "squares of %d doubles: %.1f ms on %d threads%n",
        size, (System.nanoTime() - t0) / 1e6, Parallel.loop().threads());
    System.out.printf("Mandelbrot rows (%d x %d), by schedule:%n", rows, rows);
    compareSchedules(rows, 500, System.out);
  }
}
