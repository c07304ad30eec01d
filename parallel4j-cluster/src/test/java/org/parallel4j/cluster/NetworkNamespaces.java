package org.parallel4j.cluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Hosts of their own on this machine for tests: network namespaces, each with one address on a
 * bridge that lives in a namespace of its own too, so that multicast and cut links stay inside them
 * and no packet reaches a real interface. Made by {@code ip} (root only); {@link #close} removes
 * everything it made.
 */
final class NetworkNamespaces implements AutoCloseable {
  static final String SUBNET = "10.213.0.";
  private final String prefix = "p4j" + (ProcessHandle.current().pid() % 100_000);
  private final List<String> made = new ArrayList<>();
  private final int hosts;

  /** Why namespaces cannot be made here, or null when they can. */
  static String unavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "network namespaces need root (running as " + System.getProperty("user.name") + ")";
    }
    String probe = "p4jprobe" + (ProcessHandle.current().pid() % 100_000);
    try {
      run("ip", "netns", "add", probe);
      run("ip", "netns", "del", probe);
      return null;
    } catch (IOException | RuntimeException e) {
      return "cannot make a network namespace: " + e.getMessage();
    }
  }

  /** {@code hosts} namespaces on one bridge, host {@code i} at {@link #address}({@code i}). */
  NetworkNamespaces(int hosts) throws IOException {
    this.hosts = hosts;
    try {
      String hub = prefix + "hub";
      add(hub);
      run("ip", "netns", "exec", hub, "ip", "link", "add", "br0", "type", "bridge");
      run("ip", "netns", "exec", hub, "ip", "link", "set", "br0", "up");
      for (int i = 0; i < hosts; i++) {
        String ns = name(i);
        add(ns);
        String inside = prefix + "i" + i; // at most 15 characters
        String outside = prefix + "o" + i;
        run(
            "ip", "link", "add", inside, "netns", ns, "type", "veth", "peer", outside, "netns",
            hub);
        run("ip", "netns", "exec", hub, "ip", "link", "set", outside, "master", "br0", "up");
        run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        run("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", inside);
        run("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up");
        run("ip", "netns", "exec", ns, "ip", "route", "add", "224.0.0.0/4", "dev", inside);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  String name(int host) {
    return prefix + "h" + host;
  }

  static String address(int host) {
    return SUBNET + (host + 2);
  }

  /** The prefix that runs a command in host {@code i}'s namespace. */
  List<String> exec(int host) {
    return List.of("ip", "netns", "exec", name(host));
  }

  /** Cuts host {@code i} off the network (its link goes down), or mends it. */
  void cut(int host, boolean cut) throws IOException {
    run(
        "ip",
        "netns",
        "exec",
        name(host),
        "ip",
        "link",
        "set",
        prefix + "i" + host,
        cut ? "down" : "up");
  }

  int hosts() {
    return hosts;
  }

  private void add(String ns) throws IOException {
    run("ip", "netns", "add", ns);
    made.add(ns);
  }

  private static void run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed: " + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Removes every namespace made (their links and the bridge go with them). */
  @Override
  public void close() {
    for (int i = made.size() - 1; i >= 0; i--) {
      try {
        run("ip", "netns", "del", made.get(i));
      } catch (IOException e) {
        System.err.println("cannot remove network namespace " + made.get(i) + ": " + e);
      }
    }
    made.clear();
  }
}
