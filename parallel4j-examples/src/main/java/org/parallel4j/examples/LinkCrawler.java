package org.parallel4j.examples;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.parallel4j.Job;
import org.parallel4j.JobServer;

/**
 * Article section 2.6: the link crawler that the article hands to a {@code ProcessPoolExecutor},
 * {@code group_urls_task(urls, result_dict, html_link_regex)}. Each task takes a URL from a shared
 * queue, fetches the page, extracts its links with a regex and puts them in a shared map.
 *
 * <p>The pages are served by a JDK {@link HttpServer} on 127.0.0.1 that this example starts: page
 * {@code i} links to pages {@code (i * 7 + k) % pages} for {@code k < i % 5}, and each request
 * waits a fixed delay, standing in for the network. The crawl runs serially, on platform threads
 * and on virtual threads, and prints the times: the work is I/O wait, so threads hide it and
 * virtual threads hide it at any scale.
 *
 * <p>Run: {@code java ... LinkCrawler [pages delay-ms threads]} (default 200 20 8).
 */
public final class LinkCrawler implements AutoCloseable {
  /** The article's {@code html_link_regex}. */
  public static final Pattern HTML_LINK = Pattern.compile("href=\"(.*?)\"");

  private final HttpServer http;
  private final int pages;
  private final HttpClient client;

  /** Starts a site of {@code pages} pages on 127.0.0.1, each answered after {@code delay}. */
  public LinkCrawler(int pages, Duration delay) throws IOException {
    this.pages = pages;
    this.http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/page/",
        exchange -> {
          try {
            Thread.sleep(delay); // the network's latency, simulated
            int id = Integer.parseInt(exchange.getRequestURI().getPath().substring(6));
            StringBuilder html = new StringBuilder("<html><body><h1>page ").append(id);
            html.append("</h1>");
            for (String link : linksOf(id, pages)) {
              html.append("<a href=\"").append(link).append("\">link</a> ");
            }
            byte[] body = html.append("</body></html>").toString().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
          } catch (InterruptedException | NumberFormatException e) {
            exchange.sendResponseHeaders(404, -1);
          } finally {
            exchange.close();
          }
        });
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.start();
    this.client =
        HttpClient.newBuilder()
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .connectTimeout(Duration.ofSeconds(10))
            .build();
  }

  /** The links page {@code id} of a site of {@code pages} pages carries: the known answer. */
  public static List<String> linksOf(int id, int pages) {
    List<String> links = new ArrayList<>();
    for (int k = 0; k < id % 5; k++) {
      links.add("/page/" + ((id * 7 + k) % pages));
    }
    return links;
  }

  /** The URLs of every page of the site. */
  public List<String> urls() {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < pages; i++) {
      urls.add("http://127.0.0.1:" + http.getAddress().getPort() + "/page/" + i);
    }
    return urls;
  }

  /**
   * The article's {@code group_urls_task}: takes one URL from {@code urls}, fetches it and records
   * its links in {@code result}.
   */
  public void groupUrlsTask(
      ConcurrentLinkedQueue<String> urls, Map<String, List<String>> result, Pattern regex)
      throws IOException, InterruptedException {
    String url = urls.poll();
    if (url == null) {
      return;
    }
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(url + " answered " + response.statusCode());
    }
    List<String> links = new ArrayList<>();
    Matcher m = regex.matcher(response.body());
    while (m.find()) {
      links.add(m.group(1));
    }
    result.put(url, links);
  }

  /**
   * Crawls every page, one task per URL, on {@code server} (or in this thread when null).
   *
   * @return URL to the links found on it
   */
  public Map<String, List<String>> crawl(JobServer server) throws Exception {
    ConcurrentLinkedQueue<String> urls = new ConcurrentLinkedQueue<>(urls());
    Map<String, List<String>> result = new ConcurrentHashMap<>();
    int n = urls.size();
    if (server == null) {
      for (int i = 0; i < n; i++) {
        groupUrlsTask(urls, result, HTML_LINK);
      }
    } else {
      List<Job<Object>> jobs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        jobs.add(
            server.submit(
                () -> {
                  groupUrlsTask(urls, result, HTML_LINK);
                  return null;
                }));
      }
      for (Job<Object> job : jobs) {
        job.get(); // a failed fetch surfaces here, with its cause
      }
    }
    return result;
  }

  @Override
  public void close() {
    http.stop(0);
    client.close();
  }

  /** Crawls once per engine and prints each time; returns the maps keyed by engine. */
  public static Map<String, Map<String, List<String>>> compare(
      int pages, Duration delay, int threads, PrintStream out) throws Exception {
    Map<String, Map<String, List<String>>> byEngine = new TreeMap<>();
    try (LinkCrawler crawler = new LinkCrawler(pages, delay)) {
      out.printf("crawling %d pages, %d ms per request%n", pages, delay.toMillis());
      byEngine.put("serial", timed("serial", out, () -> crawler.crawl(null)));
      try (JobServer server = JobServer.threads(threads)) {
        byEngine.put("threads", timed(threads + " threads", out, () -> crawler.crawl(server)));
      }
      try (JobServer server = JobServer.virtualThreads()) {
        byEngine.put("virtual", timed("virtual threads", out, () -> crawler.crawl(server)));
      }
    }
    return byEngine;
  }

  private static <T> T timed(String what, PrintStream out, java.util.concurrent.Callable<T> c)
      throws Exception {
    long t0 = System.nanoTime();
    T result = c.call();
    out.printf("  %-16s %8.1f ms%n", what, (System.nanoTime() - t0) / 1e6);
    return result;
  }

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    int pages = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    long delay = args.length > 1 ? Long.parseLong(args[1]) : 20;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    compare(pages, Duration.ofMillis(delay), threads, System.out);
  }
}
