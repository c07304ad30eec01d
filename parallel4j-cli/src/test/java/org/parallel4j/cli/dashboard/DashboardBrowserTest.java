package org.parallel4j.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.parallel4j.Job;
import org.parallel4j.JobServer;
import org.parallel4j.Stats;

/**
 * The dashboard's page in a real headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}, which {@code .ci/run} installs): it loads with no resource from elsewhere,
 * updates itself while jobs run, and shows what {@code stats()} says, at a moment when the numbers
 * cannot move (jobs held on a latch) and again after they have. Saves a screenshot to {@code
 * target/dashboard.png} for a person to look at.
 */
class DashboardBrowserTest {
  static final CountDownLatch RELEASE = new CountDownLatch(1);
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  @TempDir Path tmp;

  private static WebDriver browser(Path profile) {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!installed && System.getenv("PARALLEL4J_REQUIRE_BROWSER") != null) {
      throw new AssertionError(
          "chromium and chromium-driver are required here (PARALLEL4J_REQUIRE_BROWSER):"
              + " apt-get install chromium chromium-driver");
    }
    assumeThat(installed)
        .as("chromium and chromedriver in /usr/bin (apt-get install chromium chromium-driver)")
        .isTrue();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1100",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    return new ChromeDriver(service, options);
  }

  private static String text(WebDriver page, String id) {
    return page.findElement(By.id(id)).getText();
  }

  private static long updates(WebDriver page) {
    return Long.parseLong(page.findElement(By.tagName("body")).getDomAttribute("data-updates"));
  }

  @Test
  void thePageUpdatesItselfAndShowsWhatStatsSays() throws Exception {
    try (JobServer server =
        JobServer.builder().threads(2).name("browser-test").dashboard(0).build()) {
      for (int i = 0; i < 20; i++) {
        server.submit(x -> x + 1, i).get(30, TimeUnit.SECONDS);
      }
      WebDriver page = browser(Files.createDirectory(tmp.resolve("profile")));
      try {
        page.get(server.dashboard().orElseThrow().toString());
        WebDriverWait wait = new WebDriverWait(page, Duration.ofSeconds(30));
        wait.until(p -> updates(p) >= 1);

        // two jobs held running, six queued behind them: nothing can move until released
        List<Job<Integer>> held = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          held.add(
              server.submit(
                  x -> {
                    RELEASE.await();
                    return x;
                  },
                  i));
        }
        CompletableFuture<List<Integer>> mapping =
            CompletableFuture.supplyAsync(
                () -> server.map(x -> x * 2, IntStream.range(0, 40).boxed().toList(), 1));
        Stats frozen = waitForQueued(server, 6 + 40);
        long seen = updates(page);
        wait.until(p -> updates(p) >= seen + 2); // two live updates since the jobs were queued
        assertThat(text(page, "completed")).isEqualTo(Long.toString(frozen.completed()));
        assertThat(text(page, "queued")).isEqualTo(Long.toString(frozen.queued()));
        assertThat(text(page, "active")).isEqualTo(Long.toString(frozen.active()));
        assertThat(text(page, "workers")).isEqualTo("2");
        List<WebElement> workers = page.findElements(By.cssSelector("#workerTable tbody tr"));
        assertThat(workers).hasSize(2);
        assertThat(workers).allSatisfy(row -> assertThat(row.getText()).contains("busy"));
        assertThat(page.findElement(By.cssSelector("#bulks tbody")).getText())
            .contains("map", "0 / 40");

        RELEASE.countDown();
        assertThat(mapping.get(60, TimeUnit.SECONDS)).hasSize(40);
        for (Job<Integer> j : held) {
          j.get(30, TimeUnit.SECONDS);
        }
        Stats after = server.stats();
        wait.until(p -> text(p, "completed").equals(Long.toString(after.completed())));
        assertThat(text(page, "queued")).isEqualTo("0");
        wait.until(
            p -> p.findElement(By.cssSelector("#bulks tbody")).getText().contains("40 / 40"));
        WebElement stream = page.findElement(By.id("stream"));
        assertThat(Integer.parseInt(stream.getDomAttribute("data-spans")))
            .as("bars on the task stream")
            .isGreaterThanOrEqualTo(8 + 40);
        assertThat(Integer.parseInt(stream.getDomAttribute("data-lanes"))).isEqualTo(2);
        assertThat(text(page, "error")).isEmpty();

        Path shot = ((ChromeDriver) page).getScreenshotAs(OutputType.FILE).toPath();
        Path target = Path.of("target", "dashboard.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(target)).isGreaterThan(10_000);
      } finally {
        page.quit();
      }
    }
  }

  /** Waits until {@code queued} jobs wait: the server's numbers then hold still. */
  private static Stats waitForQueued(JobServer server, long queued) {
    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().queued() == queued);
    return server.stats();
  }
}
