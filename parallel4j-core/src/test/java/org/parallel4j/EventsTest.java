package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The job server's Flight Recorder events, recorded and read back. */
@Timeout(120)
class EventsTest {
  private static final List<String> ALL =
      List.of(
          "parallel4j.JobQueued",
          "parallel4j.JobStarted",
          "parallel4j.JobEnded",
          "parallel4j.JobRetried",
          "parallel4j.WorkerStarted",
          "parallel4j.WorkerEnded");

  private static List<RecordedEvent> record(Path dir, Recorded body) throws Exception {
    Path file = dir.resolve("recording.jfr");
    try (Recording r = new Recording()) {
      ALL.forEach(name -> r.enable(name));
      r.start();
      body.run();
      r.stop();
      r.dump(file);
    }
    return RecordingFile.readAllEvents(file);
  }

  interface Recorded {
    void run() throws Exception;
  }

  private static Map<String, List<RecordedEvent>> byType(List<RecordedEvent> events) {
    return events.stream()
        .filter(e -> e.getEventType().getName().startsWith("parallel4j."))
        .collect(Collectors.groupingBy(e -> e.getEventType().getName()));
  }

  @Test
  void eachJobIsQueuedStartedAndEndedAndACrashShowsAsAWorkerEndedAndARetry(@TempDir Path dir)
      throws Exception {
    String marker = dir.resolve("crashed-once").toString();
    String[] name = new String[1];
    List<RecordedEvent> events =
        record(
            dir,
            () -> {
              try (JobServer server = JobServer.builder().processes(1).build()) {
                name[0] = server.name();
                for (int i = 0; i < 10; i++) {
                  assertThat(server.submit(x -> x + 1, i).get(60, SECONDS)).isEqualTo(i + 1);
                }
                Job<String> crashing =
                    server.submit(
                        () -> {
                          Path m = Path.of(marker);
                          if (!Files.exists(m)) {
                            Files.createFile(m);
                            Runtime.getRuntime().halt(1); // the worker dies on the first attempt
                          }
                          return "second attempt";
                        });
                assertThat(crashing.get(60, SECONDS)).isEqualTo("second attempt");
              }
            });
    Map<String, List<RecordedEvent>> by = byType(events);
    assertThat(by.get("parallel4j.JobQueued")).hasSize(11);
    assertThat(by.get("parallel4j.JobStarted")).hasSize(12);
    assertThat(by.get("parallel4j.JobEnded"))
        .hasSize(11)
        .allSatisfy(
            e -> {
              assertThat(e.getString("server")).isEqualTo(name[0]);
              assertThat(e.getString("outcome")).isEqualTo("completed");
              assertThat(e.getString("backend")).isEqualTo("processes");
              assertThat(e.getDuration("runTime").isNegative()).isFalse();
            });
    assertThat(by.get("parallel4j.JobRetried"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getBoolean("counted")).isTrue();
              assertThat(e.getInt("attempts")).isEqualTo(1);
            });
    List<RecordedEvent> ended = by.get("parallel4j.WorkerEnded");
    assertThat(ended)
        .anySatisfy(
            e -> {
              assertThat(e.getString("exit")).contains("exit code 1");
              assertThat(e.getInt("jobsHeld")).isEqualTo(1);
              assertThat(e.getLong("pid")).isPositive();
            });
    Function<RecordedEvent, String> worker = e -> e.getString("worker");
    assertThat(by.get("parallel4j.WorkerStarted").stream().map(worker))
        .hasSizeGreaterThanOrEqualTo(2) // the first, and the one after the crash
        .containsAll(ended.stream().map(worker).toList());
  }
}
