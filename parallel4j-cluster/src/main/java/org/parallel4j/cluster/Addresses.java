package org.parallel4j.cluster;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/** Parses and prints {@code host:port} addresses for options and messages. */
final class Addresses {
  private Addresses() {}

  /**
   * {@code host:port}, or {@code [v6]:port}; the host is resolved now.
   *
   * @throws IllegalArgumentException naming {@code what} and the text when it is not an address
   */
  static InetSocketAddress parse(String what, String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(what + ": an empty address (expected host:port)");
    }
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(what + ": " + text + " (expected host:port)");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": " + text + " (the port is not a number)", e);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + ": " + text + " (the port must be 1 to 65535)");
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(what + ": " + text + " (unknown host " + host + ")", e);
    }
  }

  /** {@code 10.0.0.2:7800}: the address without a host name. */
  static String format(SocketAddress address) {
    if (address instanceof InetSocketAddress a && a.getAddress() != null) {
      String host = a.getAddress().getHostAddress();
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
    return String.valueOf(address);
  }

  static String format(InetAddress host, int port) {
    return format(new InetSocketAddress(host, port));
  }

  /**
   * A host to bind to, resolved now.
   *
   * @throws IllegalArgumentException naming {@code option} when it is unknown
   */
  static InetAddress host(String option, String address) {
    java.util.Objects.requireNonNull(address, option);
    try {
      return InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(option + ": unknown address " + address, e);
    }
  }

  /** 127.0.0.1: members listen there unless told otherwise, out of other machines' reach. */
  static InetAddress loopback() {
    return InetAddress.getLoopbackAddress();
  }
}
