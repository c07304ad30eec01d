package org.parallel4j.wire;

import java.io.IOException;

/**
 * Rings the consumer of a {@link Ring} awake once it has gone idle. Between a job server and a
 * worker the rings ride the worker's standard streams (the process engine's {@code Stdout}): the
 * server writes a byte to the worker's standard input, the worker a bell byte to its standard
 * output.
 */
@FunctionalInterface
public interface Doorbell {
  /** Rings once. */
  void ring() throws IOException;
}
