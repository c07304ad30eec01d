package org.parallel4j.observe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.parallel4j.spi.WorkerInfo;

/**
 * A job server's live dashboard: one self-contained page (no resource fetched from anywhere) and
 * the JSON state it polls, served by the JDK's HTTP server on two daemon threads of its own, and a
 * sampler that reads the server once a second (throughput, each worker's CPU and memory). It only
 * reads, unless built with {@link Settings#control()}: then the page may set the workers and cancel
 * a bulk operation.
 *
 * <p>Security: bound to a loopback address by default, where it answers only requests whose {@code
 * Host} is a loopback name (a page elsewhere cannot reach it by DNS rebinding). Bound to any other
 * address it requires a token, sent as {@code Authorization: Bearer TOKEN} (the page, opened as
 * {@code /?token=TOKEN}, sends it so). A change (POST) requires the control setting and a {@code
 * X-Parallel4j} header, which no cross-site form can send.
 */
public final class Dashboard implements AutoCloseable {
  /** A loopback IPv4 literal: a name such as {@code 127.evil.example} is not one. */
  private static final java.util.regex.Pattern LOOPBACK_IPV4 =
      java.util.regex.Pattern.compile("127(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");

  /** Throughput samples kept: five minutes, one a second. */
  static final int HISTORY = 300;

  /** The most spans one response carries. */
  static final int MAX_SPANS = 4000;

  /**
   * Where and how the dashboard serves.
   *
   * @param address where it listens; port 0 takes a free one
   * @param token the token requests must carry, or null (loopback only)
   * @param control whether the page may set workers and cancel
   */
  public record Settings(InetSocketAddress address, String token, boolean control) {
    /** Checks that a non-loopback address has a token. */
    public Settings {
      Objects.requireNonNull(address, "address");
      if (token != null && token.isBlank()) {
        throw new IllegalArgumentException("dashboard: the token is blank");
      }
      if (token == null && !address.getAddress().isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "dashboard: "
                + address
                + " is not a loopback address, so the dashboard needs a token"
                + " (dashboard(address, token))");
      }
    }
  }

  /** The job server, as the dashboard reads it. Implemented by the job server. */
  public interface Source {
    String name();

    /** {@code running}, {@code shutting down}, ... */
    String state();

    long uptimeNanos();

    int workers();

    long active();

    long queued();

    long completed();

    List<BackendRow> backends();

    /** As the job server's {@code setWorkers}. */
    void setWorkers(int workers);
  }

  /** A backend's row: its stats and its workers now. */
  public record BackendRow(
      String name,
      int workers,
      int busy,
      long jobs,
      long totalNanos,
      String status,
      List<WorkerInfo> rows) {}

  /** One throughput sample. */
  private record Point(long t, double rate, long running, long queued) {}

  /** A worker's CPU and memory, as last sampled. */
  private record Usage(long cpuNanos, long at, double cpuPercent, long rssBytes) {}

  private final Source source;
  private final Recorder recorder;
  private final Settings settings;
  private final HttpServer http;
  private final ExecutorService handlers;
  private final ScheduledExecutorService sampler;
  private final byte[] page;
  private final long pid = ProcessHandle.current().pid();
  // written by the sampler thread only; read by handlers under the same lock
  private final ArrayDeque<Point> history = new ArrayDeque<>();
  private Map<String, Usage> usage = Map.of();
  private Usage self = new Usage(0, 0, 0, 0);
  private long lastCompleted = -1;
  private long lastSample;

  private Dashboard(Source source, Recorder recorder, Settings settings, HttpServer http) {
    this.source = source;
    this.recorder = recorder;
    this.settings = settings;
    this.http = http;
    this.page = loadPage();
    String name = source.name();
    this.handlers = Executors.newFixedThreadPool(2, daemon("parallel4j-dashboard-" + name));
    this.sampler =
        Executors.newSingleThreadScheduledExecutor(daemon("parallel4j-dashboard-sampler-" + name));
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return Thread.ofPlatform().name(name).daemon().factory();
  }

  /**
   * Starts a dashboard of {@code source}.
   *
   * @throws IllegalStateException when it cannot listen where asked, naming the address
   */
  public static Dashboard start(Source source, Recorder recorder, Settings settings) {
    HttpServer http;
    try {
      http = HttpServer.create(settings.address(), 64);
    } catch (IOException e) {
      throw new IllegalStateException(
          "dashboard: cannot listen on " + settings.address() + ": " + e.getMessage(), e);
    }
    Dashboard d;
    try {
      d = new Dashboard(source, recorder, settings, http);
      http.createContext("/", d::handle);
      http.setExecutor(d.handlers);
      d.sample();
    } catch (RuntimeException e) {
      http.stop(0); // the port is not left bound
      throw e;
    }
    d.sampler.scheduleAtFixedRate(d::sampleQuietly, 1, 1, TimeUnit.SECONDS);
    // the JDK's dispatcher thread takes the daemon status of the thread that starts it: started
    // from a daemon, a dashboard never keeps the JVM alive, as no thread of the job server does
    Thread starter =
        Thread.ofPlatform().daemon().name("parallel4j-dashboard-start").start(http::start);
    try {
      starter.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return d;
  }

  /** Where the page is, as a browser on this machine opens it (without the token). */
  public URI uri() {
    InetSocketAddress a = http.getAddress();
    String host =
        a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + a.getPort() + "/");
  }

  /** Stops serving at once; the job server goes on. */
  @Override
  public void close() {
    sampler.shutdownNow();
    http.stop(0);
    handlers.shutdownNow();
  }

  // ---- sampling -------------------------------------------------------------------------------

  private void sampleQuietly() {
    try {
      sample();
    } catch (RuntimeException e) { // never kills the sampler: the next second tries again
      System.getLogger(Dashboard.class.getName())
          .log(System.Logger.Level.DEBUG, "dashboard sample failed", e);
    }
  }

  private synchronized void sample() {
    long now = recorder.now();
    long completed = source.completed();
    double seconds = (now - lastSample) / 1e9;
    if (lastCompleted >= 0 && seconds > 0) {
      long running = 0;
      for (BackendRow b : source.backends()) {
        running += b.busy();
      }
      history.addLast(
          new Point(now, (completed - lastCompleted) / seconds, running, source.queued()));
      if (history.size() > HISTORY) {
        history.removeFirst();
      }
    }
    lastCompleted = completed;
    lastSample = now;
    Map<String, Usage> next = new HashMap<>();
    for (BackendRow b : source.backends()) {
      for (WorkerInfo w : b.rows()) {
        String key = b.name() + "/" + w.name();
        long cpu = w.cpuNanos() >= 0 ? w.cpuNanos() : w.pid() == pid ? -1 : cpuOf(w.pid());
        long rss = w.rssBytes() >= 0 ? w.rssBytes() : w.pid() == pid ? -1 : rssOf(w.pid());
        next.put(key, usage(usage.get(key), cpu, now, rss));
      }
    }
    usage = next;
    self = usage(self, cpuOf(pid), now, rssOf(pid));
    recorder.sweep();
  }

  private static Usage usage(Usage before, long cpu, long now, long rss) {
    double percent = -1;
    if (cpu >= 0 && before != null && before.cpuNanos() >= 0 && now > before.at()) {
      percent = 100.0 * (cpu - before.cpuNanos()) / (now - before.at());
    }
    return new Usage(cpu, now, percent, rss);
  }

  /** A process's CPU time in nanoseconds, or -1 when it cannot be read. */
  static long cpuOf(long pid) {
    if (pid <= 0) {
      return -1;
    }
    return ProcessHandle.of(pid)
        .flatMap(p -> p.info().totalCpuDuration())
        .map(java.time.Duration::toNanos)
        .orElse(-1L);
  }

  /** A process's resident memory in bytes (Linux: VmRSS), or -1 when it cannot be read. */
  static long rssOf(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String kb = line.substring(6).trim().split("\\s+")[0];
          return Long.parseLong(kb) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1; // not Linux, or the process has gone
    }
    return -1;
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getRawPath();
      String method = ex.getRequestMethod();
      if (!hostAllowed(ex)) {
        send(ex, 403, "text/plain", "dashboard: this host name is not served here\n");
        return;
      }
      if (!authorized(ex, path)) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"parallel4j\"");
        send(ex, 401, "text/plain", "dashboard: a token is required (Authorization: Bearer)\n");
        return;
      }
      switch (path) {
        case "/", "/index.html" -> {
          if (!method.equals("GET") && !method.equals("HEAD")) {
            notAllowed(ex, "GET");
            return;
          }
          send(ex, 200, "text/html; charset=utf-8", page);
        }
        case "/api/state" -> {
          if (!method.equals("GET")) {
            notAllowed(ex, "GET");
            return;
          }
          recorder.watched();
          send(ex, 200, "application/json", state(query(ex).get("since")));
        }
        case "/api/workers", "/api/cancel" -> {
          if (!method.equals("POST")) {
            notAllowed(ex, "POST");
            return;
          }
          change(ex, path);
        }
        default -> send(ex, 404, "text/plain", "dashboard: no such page: " + clip(path) + "\n");
      }
    } catch (RuntimeException e) { // a bad request fails itself, never the dashboard
      send(ex, 400, "text/plain", "dashboard: bad request: " + clip(e.getMessage()) + "\n");
    } finally {
      ex.close();
    }
  }

  private void change(HttpExchange ex, String path) throws IOException {
    if (!settings.control()) {
      send(ex, 403, "text/plain", "dashboard: read-only (the server allows no changes here)\n");
      return;
    }
    if (ex.getRequestHeaders().getFirst("X-Parallel4j") == null) {
      send(ex, 403, "text/plain", "dashboard: a change needs the X-Parallel4j header\n");
      return;
    }
    Map<String, String> q = query(ex);
    if (path.equals("/api/workers")) {
      int n = parse(q.get("count"), "count");
      try {
        source.setWorkers(n);
      } catch (IllegalArgumentException | IllegalStateException e) {
        send(ex, 409, "text/plain", "dashboard: " + e.getMessage() + "\n");
        return;
      }
      send(ex, 200, "text/plain", "workers: " + n + "\n");
    } else {
      int id = parse(q.get("bulk"), "bulk");
      if (!recorder.cancel(id)) {
        send(ex, 404, "text/plain", "dashboard: no running bulk operation " + id + "\n");
        return;
      }
      send(ex, 200, "text/plain", "cancelled: " + id + "\n");
    }
  }

  private static int parse(String value, String name) {
    if (value == null) {
      throw new IllegalArgumentException(name + ": missing");
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": not a number: " + clip(value));
    }
  }

  private boolean hostAllowed(HttpExchange ex) {
    if (!http.getAddress().getAddress().isLoopbackAddress()) {
      return true; // the token guards it
    }
    String host = ex.getRequestHeaders().getFirst("Host");
    if (host == null) {
      return false;
    }
    String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1) : host;
    int colon = name.startsWith("[") ? -1 : name.lastIndexOf(':');
    if (colon >= 0) {
      name = name.substring(0, colon);
    }
    return name.equalsIgnoreCase("localhost")
        || LOOPBACK_IPV4.matcher(name).matches()
        || name.equals("[::1]")
        || name.equals("[0:0:0:0:0:0:0:1]");
  }

  private boolean authorized(HttpExchange ex, String path) {
    String token = settings.token();
    if (token == null) {
      return true;
    }
    String given = null;
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth != null && auth.startsWith("Bearer ")) {
      given = auth.substring(7).trim();
    } else if (path.equals("/") || path.equals("/index.html")) {
      given = query(ex).get("token"); // the page itself, opened from a link; it sends the header
    }
    return given != null
        && MessageDigest.isEqual(
            given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, String> query(HttpExchange ex) {
    String raw = ex.getRequestURI().getRawQuery();
    Map<String, String> q = new HashMap<>();
    if (raw == null) {
      return q;
    }
    for (String pair : raw.split("&", 16)) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        q.put(
            java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return q;
  }

  private static void notAllowed(HttpExchange ex, String allowed) throws IOException {
    ex.getResponseHeaders().set("Allow", allowed);
    send(ex, 405, "text/plain", "dashboard: method not allowed\n");
  }

  private static String clip(String s) {
    if (s == null) {
      return "";
    }
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    send(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    var h = ex.getResponseHeaders();
    h.set("Content-Type", type);
    h.set("Cache-Control", "no-store");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
            + " connect-src 'self'; img-src data:");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      ex.getResponseBody().write(body);
    }
  }

  private static byte[] loadPage() {
    try (InputStream in = Dashboard.class.getResourceAsStream("dashboard.html")) {
      if (in == null) {
        throw new IllegalStateException("dashboard: its page is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- the state ------------------------------------------------------------------------------

  private static double ms(long nanos) {
    return Math.round(nanos / 1e3) / 1e3;
  }

  /** The state as JSON: times in ms since the server started; spans that ended after since. */
  String state(String sinceMs) {
    long origin = recorder.now() - source.uptimeNanos();
    long now = recorder.now();
    long since = now - 10_000_000_000L; // the page's window
    if (sinceMs != null) {
      since = Math.max(since, origin + (long) (Double.parseDouble(sinceMs) * 1e6));
    }
    List<BackendRow> backends = source.backends();
    Json j = new Json().object();
    j.key("server")
        .object()
        .field("name", source.name())
        .field("state", source.state())
        .field("now", ms(now - origin))
        .field("workers", source.workers())
        .field("active", source.active())
        .field("queued", source.queued())
        .field("completed", source.completed())
        .field("pid", pid)
        .field("control", settings.control());
    long jobsRun = 0;
    for (BackendRow b : backends) {
      jobsRun += b.jobs();
    }
    j.field("jobsRun", jobsRun);
    synchronized (this) {
      j.field("cpu", self.cpuPercent()).field("rss", self.rssBytes());
    }
    j.end();
    Map<String, Usage> use;
    synchronized (this) {
      use = usage;
      j.key("throughput").array();
      for (Point p : history) {
        j.object()
            .field("t", ms(p.t() - origin))
            .field("rate", Math.round(p.rate() * 10) / 10.0)
            .field("running", p.running())
            .field("queued", p.queued())
            .end();
      }
      j.end();
    }
    j.key("backends").array();
    for (BackendRow b : backends) {
      j.object()
          .field("name", b.name())
          .field("workers", b.workers())
          .field("busy", b.busy())
          .field("jobs", b.jobs())
          .field("totalMs", ms(b.totalNanos()))
          .field("status", b.status());
      j.key("rows").array();
      for (WorkerInfo w : b.rows()) {
        Usage u = use.get(b.name() + "/" + w.name());
        j.object()
            .field("name", w.name())
            .field("state", w.state())
            .field("pid", w.pid())
            .field("running", w.running())
            .field("cpu", u == null ? -1 : u.cpuPercent())
            .field("rss", u == null ? -1 : u.rssBytes())
            .end();
      }
      j.end().end();
    }
    j.end();
    List<Recorder.Span> spans = recorder.spansSince(since);
    j.key("spans").array();
    for (Recorder.Span s : spans.subList(Math.max(0, spans.size() - MAX_SPANS), spans.size())) {
      j.object()
          .field("lane", s.backend() + "/" + s.worker())
          .field("job", s.job())
          .field("start", ms(s.start() - origin))
          .field("end", ms(s.end() - origin))
          .field("outcome", s.outcome().name().toLowerCase(java.util.Locale.ROOT))
          .end();
    }
    j.end();
    j.key("bulks").array();
    for (var e : recorder.running().entrySet()) {
      bulk(j, e.getKey(), e.getValue(), origin, now);
    }
    List<Recorder.Bulk> done = recorder.finishedBulks();
    for (int i = done.size() - 1; i >= 0; i--) { // the last finished first
      bulk(j, 0, done.get(i), origin, now);
    }
    j.end();
    j.key("failures").array();
    for (Recorder.Failure f : recorder.failures()) {
      j.object()
          .field("job", f.job())
          .field("backend", f.backend())
          .field("worker", f.worker())
          .field("at", ms(f.at() - origin))
          .field("outcome", f.outcome().name().toLowerCase(java.util.Locale.ROOT))
          .field("error", f.error())
          .end();
    }
    j.end();
    return j.end().toString();
  }

  private static void bulk(Json j, long id, Recorder.Bulk b, long origin, long now) {
    long end = b.finishedAt() != 0 ? b.finishedAt() : now;
    double secs = (end - b.startedAt()) / 1e9;
    j.object()
        .field("id", id)
        .field("kind", b.kind())
        .field("name", b.name())
        .field("done", b.done())
        .field("total", b.total())
        .field("failed", b.failed())
        .field("started", ms(b.startedAt() - origin))
        .field("finished", b.finishedAt() == 0 ? -1 : ms(b.finishedAt() - origin))
        .field("rate", secs <= 0 ? 0 : Math.round(b.done() / secs * 10) / 10.0)
        .end();
  }
}
