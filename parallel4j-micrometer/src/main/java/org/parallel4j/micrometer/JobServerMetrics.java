package org.parallel4j.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.parallel4j.JobServer;
import org.parallel4j.Stats;

/**
 * A job server's metrics, for any Micrometer registry (Prometheus, OTLP, JMX, ...), read from
 * {@link JobServer#stats()} when the registry asks, so binding costs the server's jobs nothing:
 *
 * <table>
 * <caption>Meters (every one tagged {@code server=NAME})</caption>
 * <tr><th>name</th><th>type</th><th>what</th></tr>
 * <tr><td>{@code parallel4j.jobs.submitted}</td><td>counter</td><td>jobs submitted</td></tr>
 * <tr><td>{@code parallel4j.jobs.completed}</td><td>counter</td><td>jobs ended in any way</td></tr>
 * <tr><td>{@code parallel4j.jobs.failed}</td><td>counter</td><td>jobs ended with an exception
 *     (timeouts and lost workers included)</td></tr>
 * <tr><td>{@code parallel4j.jobs.cancelled}</td><td>counter</td><td>jobs cancelled</td></tr>
 * <tr><td>{@code parallel4j.jobs.retried}</td><td>counter</td><td>attempts run again after a
 *     lost worker</td></tr>
 * <tr><td>{@code parallel4j.jobs.active}</td><td>gauge</td><td>jobs queued or running</td></tr>
 * <tr><td>{@code parallel4j.jobs.queued}</td><td>gauge</td><td>jobs waiting for a worker</td></tr>
 * <tr><td>{@code parallel4j.jobs.run}</td><td>timer, per {@code backend}</td><td>jobs run and
 *     their run time</td></tr>
 * <tr><td>{@code parallel4j.jobs.queue}</td><td>timer</td><td>attempts started and the time
 *     they waited</td></tr>
 * <tr><td>{@code parallel4j.workers}</td><td>gauge, per {@code backend}</td><td>workers</td></tr>
 * <tr><td>{@code parallel4j.workers.busy}</td><td>gauge, per {@code backend}</td><td>jobs running
 *     now</td></tr>
 * <tr><td>{@code parallel4j.worker.losses}</td><td>counter, per {@code cause}</td><td>workers
 *     lost: {@code killed} (by a signal), {@code exited}, {@code lost} (node or backend
 *     gone)</td></tr>
 * </table>
 *
 * {@snippet lang = java :
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * new JobServerMetrics(server).bindTo(registry);
 * String scrape = registry.scrape(); // parallel4j_jobs_completed_total{server="..."} 12.0 ...
 * }
 *
 * <p>Per-backend meters cover the backends the server has when bound; bind after adding backends (a
 * cluster is one backend, whatever its nodes). The meters hold the server weakly, as Micrometer
 * does: they read {@code NaN} once it has been collected. Thread-safe.
 */
public final class JobServerMetrics implements MeterBinder {
  private final JobServer server;
  private final Tags tags;

  /** Metrics of {@code server}, tagged {@code server=NAME}. */
  public JobServerMetrics(JobServer server) {
    this(server, List.of());
  }

  /** Metrics of {@code server}, tagged {@code server=NAME} and with {@code tags}. */
  public JobServerMetrics(JobServer server, Iterable<Tag> tags) {
    this.server = Objects.requireNonNull(server, "server");
    this.tags = Tags.of(tags).and("server", server.name());
  }

  /** A snapshot, for one meter: a few microseconds, read only when the registry asks. */
  private static Stats stats(JobServer s) {
    return s.stats();
  }

  private void counter(MeterRegistry r, String name, String help, ToDoubleFunction<Stats> f) {
    FunctionCounter.builder(name, server, s -> f.applyAsDouble(stats(s)))
        .description(help)
        .tags(tags)
        .register(r);
  }

  private void gauge(MeterRegistry r, String name, String help, ToDoubleFunction<Stats> f) {
    Gauge.builder(name, server, s -> f.applyAsDouble(stats(s)))
        .description(help)
        .tags(tags)
        .register(r);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    counter(registry, "parallel4j.jobs.submitted", "jobs submitted", s -> s.outcomes().submitted());
    counter(registry, "parallel4j.jobs.completed", "jobs ended in any way", Stats::completed);
    counter(
        registry,
        "parallel4j.jobs.failed",
        "jobs ended with an exception",
        s -> s.outcomes().failed());
    counter(registry, "parallel4j.jobs.cancelled", "jobs cancelled", s -> s.outcomes().cancelled());
    counter(
        registry,
        "parallel4j.jobs.retried",
        "attempts run again after a lost worker",
        s -> s.outcomes().retried());
    gauge(registry, "parallel4j.jobs.active", "jobs queued or running", Stats::active);
    gauge(registry, "parallel4j.jobs.queued", "jobs waiting for a worker", Stats::queued);
    FunctionTimer.builder(
            "parallel4j.jobs.queue",
            server,
            s -> stats(s).jobsRun(),
            s -> stats(s).outcomes().queueTime().toNanos(),
            TimeUnit.NANOSECONDS)
        .description("the time jobs waited for a worker")
        .tags(tags)
        .register(registry);
    for (String cause :
        List.of(Stats.Outcomes.KILLED, Stats.Outcomes.EXITED, Stats.Outcomes.LOST)) {
      FunctionCounter.builder(
              "parallel4j.worker.losses",
              server,
              s -> stats(s).outcomes().workerLosses().getOrDefault(cause, 0L))
          .description("workers lost, by cause")
          .tags(tags.and("cause", cause))
          .register(registry);
    }
    Set<String> seen = new HashSet<>();
    List<Stats.Backend> backends = server.stats().backends();
    for (int i = 0; i < backends.size(); i++) {
      String name = backends.get(i).name();
      String tag = seen.add(name) ? name : name + "#" + (i + 1); // two backends of one kind
      int index = i;
      Tags t = tags.and("backend", tag);
      FunctionTimer.builder(
              "parallel4j.jobs.run",
              server,
              s -> row(s, index).jobs(),
              s -> row(s, index).totalTime().toNanos(),
              TimeUnit.NANOSECONDS)
          .description("jobs run on a backend, and their run time")
          .tags(t)
          .register(registry);
      Gauge.builder("parallel4j.workers", server, s -> row(s, index).workers())
          .description("a backend's workers")
          .tags(t)
          .register(registry);
      Gauge.builder("parallel4j.workers.busy", server, s -> row(s, index).busy())
          .description("a backend's jobs running now")
          .tags(t)
          .register(registry);
    }
  }

  private static Stats.Backend row(JobServer s, int index) {
    List<Stats.Backend> rows = stats(s).backends();
    return index < rows.size()
        ? rows.get(index)
        : new Stats.Backend("?", 0, 0, 0, java.time.Duration.ZERO);
  }
}
