package org.parallel4j.process;

import java.io.IOException;

/**
 * Rings the consumer of a {@link Ring} awake once it has gone idle. Between a job server and a
 * worker the rings ride the worker's standard streams (see {@link Stdout}): the server writes a
 * byte to the worker's standard input, the worker writes {@link Stdout#BELL} to its standard
 * output.
 */
@FunctionalInterface
interface Doorbell {
  /** Rings once. */
  void ring() throws IOException;
}
