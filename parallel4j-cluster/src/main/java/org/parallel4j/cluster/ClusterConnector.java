package org.parallel4j.cluster;

import org.parallel4j.spi.Backend;
import org.parallel4j.spi.ClusterProvider;

/**
 * What {@code JobServer.builder().nodes(...)} and {@code discover()} find through {@link
 * java.util.ServiceLoader}: a {@link Cluster} backend with the defaults (cluster {@code
 * parallel4j}, bound to 127.0.0.1 unless discovering). For anything more, build the backend with
 * {@link Cluster#builder()} and hand it to {@code JobServer.builder().backend(...)}.
 */
public final class ClusterConnector implements ClusterProvider {
  /** For the service loader. */
  public ClusterConnector() {}

  @Override
  public Backend connect(Request request) {
    Cluster.Builder b = Cluster.builder();
    if (request.discover()) {
      b.discover();
    }
    if (!request.nodes().isEmpty()) {
      b.nodes(request.nodes().toArray(String[]::new));
    }
    if (request.secretFile() != null) {
      b.security(ClusterSecurity.secretFile(request.secretFile()));
    } else if (request.secretVariable() != null) {
      b.security(ClusterSecurity.secretFromEnvironment(request.secretVariable()));
    } else {
      b.security(ClusterSecurity.insecure());
    }
    return b.build();
  }
}
