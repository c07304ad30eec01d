package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's HTTP side: its state agrees with {@code stats()}, it shows the task stream,
 * failures, progress and worker processes with their pid, CPU and memory; it refuses what it must
 * (unknown paths, wrong methods, changes when read-only, foreign host names, missing tokens, huge
 * headers, a flood of idle connections) without disturbing the job server; and it goes away with
 * the server. The page itself is checked in a real browser by the CLI module's tests.
 */
class DashboardTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static final CountDownLatch HOLD = new CountDownLatch(1);

  /** A response: its status and body. */
  record Reply(int statusCode, String body) {}

  /**
   * One request over a raw socket, as any client (or attacker) could send it: {@code headers} are
   * name, value pairs; a {@code Host} among them replaces the default.
   */
  static Reply request(URI uri, String method, String path, String... headers) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), uri.getPort())) {
      s.setSoTimeout(20_000);
      StringBuilder req = new StringBuilder(method + " /" + path + " HTTP/1.1\r\n");
      boolean host = false;
      for (int i = 0; i < headers.length; i += 2) {
        host |= headers[i].equalsIgnoreCase("Host");
        req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      }
      if (!host) {
        req.append("Host: 127.0.0.1:").append(uri.getPort()).append("\r\n");
      }
      req.append("Connection: close\r\n");
      if (method.equals("POST")) {
        req.append("Content-Length: 0\r\n");
      }
      req.append("\r\n");
      s.getOutputStream().write(req.toString().getBytes(StandardCharsets.US_ASCII));
      String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (all.isEmpty()) {
        throw new IOException("no reply");
      }
      int status = Integer.parseInt(all.substring(9, 12));
      int body = all.indexOf("\r\n\r\n");
      String rest = body < 0 ? "" : all.substring(body + 4);
      if (all.substring(0, Math.max(0, body))
          .toLowerCase(java.util.Locale.ROOT)
          .contains("transfer-encoding: chunked")) {
        rest = unchunk(rest);
      }
      return new Reply(status, rest);
    }
  }

  private static String unchunk(String chunked) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (true) {
      int eol = chunked.indexOf("\r\n", i);
      int n = Integer.parseInt(chunked.substring(i, eol).trim(), 16);
      if (n == 0) {
        return out.toString();
      }
      out.append(chunked, eol + 2, eol + 2 + n);
      i = eol + 2 + n + 2;
    }
  }

  private Reply get(URI uri, String path, String... headers) throws Exception {
    return request(uri, "GET", path, headers);
  }

  private Reply post(URI uri, String path, String... headers) throws Exception {
    return request(uri, "POST", path, headers);
  }

  private JsonNode state(URI uri) throws Exception {
    Reply r = get(uri, "api/state");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  @Test
  void theStateAgreesWithStatsAndShowsTheStreamFailuresAndProgress() throws Exception {
    try (JobServer server = JobServer.builder().threads(2).name("dash-a").dashboard(0).build()) {
      URI uri = server.dashboard().orElseThrow();
      assertThat(uri.getHost()).isEqualTo("127.0.0.1");
      state(uri); // someone watches: spans are recorded from now on
      List<Job<Integer>> jobs = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        jobs.add(server.submit(x -> x + 1, i));
      }
      Job<Integer> bad =
          server.submit(
              x -> {
                throw new IllegalStateException("dashboard test failure " + x);
              },
              7);
      for (Job<Integer> j : jobs) {
        j.join();
      }
      assertThatThrownBy(bad::join).isInstanceOf(CompletionException.class);
      List<Integer> mapped = server.map(x -> x * 2, IntStream.range(0, 20).boxed().toList(), 1);
      assertThat(mapped).hasSize(20);
      JobGroup<Integer> group = server.group("dash-group");
      for (int i = 0; i < 5; i++) {
        group.submit(x -> x, i);
      }
      group.await();

      Stats stats = server.stats();
      JsonNode s = state(uri);
      JsonNode sv = s.get("server");
      assertThat(sv.get("name").asText()).isEqualTo("dash-a");
      assertThat(sv.get("state").asText()).isEqualTo("running");
      assertThat(sv.get("completed").asLong()).isEqualTo(stats.completed());
      assertThat(sv.get("jobsRun").asLong()).isEqualTo(stats.jobsRun());
      assertThat(sv.get("workers").asInt()).isEqualTo(2);
      assertThat(sv.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
      assertThat(sv.get("control").asBoolean()).isFalse();
      JsonNode backend = s.get("backends").get(0);
      assertThat(backend.get("name").asText()).isEqualTo("threads");
      assertThat(backend.get("jobs").asLong()).isEqualTo(stats.backends().get(0).jobs());
      assertThat(backend.get("rows").size()).isEqualTo(2); // the two worker threads

      Set<String> lanes = new HashSet<>();
      Set<Long> spanJobs = new HashSet<>();
      for (JsonNode span : s.get("spans")) {
        lanes.add(span.get("lane").asText());
        spanJobs.add(span.get("job").asLong());
        assertThat(span.get("end").asDouble()).isGreaterThanOrEqualTo(span.get("start").asDouble());
      }
      assertThat(lanes).allMatch(l -> l.startsWith("threads/"));
      for (Job<Integer> j : jobs) {
        assertThat(spanJobs).contains(j.id());
      }
      assertThat(s.get("spans").findValuesAsText("outcome")).contains("completed", "failed");

      JsonNode failure = s.get("failures").get(0);
      assertThat(failure.get("job").asLong()).isEqualTo(bad.id());
      assertThat(failure.get("outcome").asText()).isEqualTo("failed");
      assertThat(failure.get("error").asText())
          .contains("IllegalStateException", "dashboard test failure 7");

      // a group's count follows its jobs' callbacks, which may run just after await() returns
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                List<String> bulks = new ArrayList<>();
                for (JsonNode b : state(uri).get("bulks")) {
                  bulks.add(
                      b.get("kind").asText()
                          + " "
                          + b.get("done").asLong()
                          + "/"
                          + b.get("total").asLong()
                          + (b.get("finished").asDouble() >= 0 ? " finished" : ""));
                }
                assertThat(bulks).contains("map 20/20 finished", "group 5/5 finished");
              });

      // the next poll carries only spans that ended after the last one's time
      JsonNode later = JSON.readTree(get(uri, "api/state?since=" + sv.get("now").asText()).body());
      assertThat(later.get("spans").size()).isZero();
    }
  }

  @Test
  void workerProcessesShowTheirPidCpuAndMemory() throws Exception {
    try (JobServer server = JobServer.builder().processes(1).name("dash-b").dashboard(0).build()) {
      URI uri = server.dashboard().orElseThrow();
      assertThat(server.submit(x -> x + 1, 1).get(60, SECONDS)).isEqualTo(2);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                JsonNode row = state(uri).get("backends").get(0).get("rows").get(0);
                assertThat(row.get("pid").asLong())
                    .isPositive()
                    .isNotEqualTo(ProcessHandle.current().pid());
                assertThat(row.get("state").asText()).isIn("idle", "busy");
                assertThat(row.get("rss").asLong()).as("resident bytes").isGreaterThan(1 << 20);
                assertThat(row.get("cpu").asDouble())
                    .as("CPU %, after two samples")
                    .isGreaterThanOrEqualTo(0);
              });
    }
  }

  @Test
  void aReadOnlyDashboardRefusesChangesAndBadRequestsWithoutDisturbingTheServer() throws Exception {
    try (JobServer server = JobServer.builder().threads(2).name("dash-c").dashboard(0).build()) {
      URI uri = server.dashboard().orElseThrow();
      assertThat(get(uri, "").statusCode()).isEqualTo(200);
      assertThat(get(uri, "").body()).contains("<canvas id=\"stream\"");
      assertThat(get(uri, "no/such/page").statusCode()).isEqualTo(404);
      assertThat(post(uri, "api/state").statusCode()).isEqualTo(405);
      assertThat(post(uri, "api/workers?count=5", "X-Parallel4j", "1").statusCode()).isEqualTo(403);
      assertThat(server.workers()).isEqualTo(2);
      assertThat(get(uri, "", "Host", "evil.example:80").statusCode())
          .as("a foreign host name (DNS rebinding)")
          .isEqualTo(403);
      assertThat(get(uri, "", "Host", "127.evil.example").statusCode())
          .as("a name that only starts like a loopback address")
          .isEqualTo(403);
      assertThat(get(uri, "", "Host", "localhost:" + uri.getPort()).statusCode()).isEqualTo(200);
      assertThat(Thread.getAllStackTraces().keySet())
          .filteredOn(t -> t.getName().startsWith("HTTP-Dispatcher"))
          .as("the HTTP server's dispatcher never keeps the JVM alive")
          .isNotEmpty()
          .allMatch(Thread::isDaemon);

      // a header of 1 MB: refused or cut off, and the dashboard still answers
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), uri.getPort())) {
        s.setSoTimeout(20_000);
        var out = s.getOutputStream();
        out.write(
            "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
                .getBytes(StandardCharsets.US_ASCII));
        byte[] big = new byte[1 << 20];
        java.util.Arrays.fill(big, (byte) 'a');
        try {
          out.write(big);
          out.write("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          String reply = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
          assertThat(reply)
              .as("a huge header is refused")
              .isIn("", "HTTP/1.1 400", "HTTP/1.1 413", "HTTP/1.1 431");
        } catch (IOException e) {
          // the server closed the connection while we wrote: refused
        }
      }

      // 300 connections that send nothing, open while jobs run and the page is asked for
      List<Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 300; i++) {
          try {
            idle.add(new Socket(InetAddress.getLoopbackAddress(), uri.getPort()));
          } catch (ConnectException e) {
            break; // the backlog is full: refused, as it should be
          }
        }
        assertThat(idle).hasSizeGreaterThan(50);
        List<Integer> out = server.map(x -> x + 1, IntStream.range(0, 200).boxed().toList());
        assertThat(out).hasSize(200);
        assertThat(state(uri).get("server").get("completed").asLong())
            .isEqualTo(server.stats().completed());
      } finally {
        for (Socket s : idle) {
          s.close();
        }
      }
      assertThat(server.submit(x -> x * 3, 3).get(30, SECONDS)).isEqualTo(9);
    }
  }

  @Test
  void withControlThePageSetsWorkersAndCancelsABulkOperation() throws Exception {
    try (JobServer server =
        JobServer.builder().threads(2).name("dash-d").dashboard(0).dashboardControl().build()) {
      URI uri = server.dashboard().orElseThrow();
      assertThat(post(uri, "api/workers?count=3").statusCode())
          .as("without the X-Parallel4j header: a cross-site form")
          .isEqualTo(403);
      assertThat(post(uri, "api/workers?count=3", "X-Parallel4j", "1").statusCode()).isEqualTo(200);
      assertThat(server.workers()).isEqualTo(3);
      assertThat(post(uri, "api/workers?count=zero", "X-Parallel4j", "1").statusCode())
          .isEqualTo(400);
      assertThat(post(uri, "api/workers?count=-1", "X-Parallel4j", "1").statusCode())
          .isEqualTo(409);
      assertThat(server.workers()).isEqualTo(3);

      JobGroup<Integer> group = server.group("to-cancel");
      for (int i = 0; i < 6; i++) {
        group.submit(
            x -> {
              HOLD.await();
              return x;
            },
            i);
      }
      JsonNode bulk = state(uri).get("bulks").get(0);
      assertThat(bulk.get("name").asText()).isEqualTo("to-cancel");
      assertThat(
              post(uri, "api/cancel?bulk=" + bulk.get("id").asLong(), "X-Parallel4j", "1")
                  .statusCode())
          .isEqualTo(200);
      assertThat(group.await(Duration.ofSeconds(30))).isTrue();
      assertThat(group.jobs()).allMatch(Job::isCancelled);
      await() // a group whose jobs were cancelled has finished: it does not stay "running"
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                JsonNode b = state(uri).get("bulks").get(0);
                assertThat(b.get("name").asText()).isEqualTo("to-cancel");
                assertThat(b.get("finished").asDouble()).isGreaterThanOrEqualTo(0);
              });
      assertThat(post(uri, "api/cancel?bulk=999", "X-Parallel4j", "1").statusCode()).isEqualTo(404);
      assertThat(server.submit(x -> x + 1, 1).get(30, SECONDS)).isEqualTo(2);
    }
  }

  @Test
  void aTokenGuardsItAndANonLoopbackAddressNeedsOne() throws Exception {
    assertThatThrownBy(
            () ->
                JobServer.builder()
                    .threads(1)
                    .dashboard(new InetSocketAddress("0.0.0.0", 0), null)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a token");
    try (JobServer server =
        JobServer.builder()
            .threads(1)
            .name("dash-e")
            .dashboard(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "s3cret")
            .build()) {
      URI uri = server.dashboard().orElseThrow();
      assertThat(get(uri, "api/state").statusCode()).isEqualTo(401);
      assertThat(get(uri, "api/state", "Authorization", "Bearer wrong").statusCode())
          .isEqualTo(401);
      assertThat(get(uri, "api/state?token=s3cret").statusCode())
          .as("the token in the query opens the page only, not the API")
          .isEqualTo(401);
      assertThat(get(uri, "?token=s3cret").statusCode()).isEqualTo(200);
      assertThat(get(uri, "api/state", "Authorization", "Bearer s3cret").statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void aTakenPortFailsTheBuildByNameAndTheDashboardEndsWithTheServer() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(
              () -> JobServer.builder().threads(1).dashboard(taken.getLocalPort()).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("dashboard: cannot listen on")
          .hasMessageContaining(Integer.toString(taken.getLocalPort()));
    }
    JobServer server = JobServer.builder().threads(1).name("dash-f").dashboard(0).build();
    URI uri = server.dashboard().orElseThrow();
    assertThat(get(uri, "api/state").statusCode()).isEqualTo(200);
    server.close();
    assertThat(server.awaitTermination(30, SECONDS)).isTrue();
    assertThat(server.dashboard()).isEmpty();
    assertThatThrownBy(() -> get(uri, "api/state")).isInstanceOf(IOException.class);
  }

  @Test
  void noDashboardMeansNoAddress() {
    try (JobServer server = JobServer.threads(1)) {
      assertThat(server.dashboard()).isEmpty();
    }
  }
}
