package org.parallel4j.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Makes the backend that reaches a cluster's nodes, for {@code JobServer.builder().nodes(...)} and
 * {@code discover()}: the core finds an implementation with {@link java.util.ServiceLoader}, so
 * that it depends on no cluster library. {@code parallel4j-cluster} provides one.
 */
public interface ClusterProvider {
  /**
   * The backend for {@code request}.
   *
   * @throws IllegalArgumentException when an address or a credential in it is wrong
   */
  Backend connect(Request request);

  /**
   * What the builder was told.
   *
   * @param nodes node addresses, {@code host:port} each; empty with {@code discover}
   * @param discover whether to find nodes by multicast on the local network
   * @param secretFile a file whose first line is the cluster's secret, or null
   * @param secretVariable an environment variable that holds the secret, or null
   * @param insecure whether to run with no authentication and no encryption
   */
  record Request(
      List<String> nodes,
      boolean discover,
      Path secretFile,
      String secretVariable,
      boolean insecure) {
    /** Copies {@code nodes}. */
    public Request {
      nodes = List.copyOf(Objects.requireNonNull(nodes, "nodes"));
    }
  }
}
