package org.parallel4j.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The parallel4j version that members tell each other when they meet: a node and a job server of
 * different versions refuse to work together, with an error naming both.
 */
final class Version {
  /** This build's version, such as {@code 0.1.0-SNAPSHOT}. */
  static final String CURRENT = read();

  private Version() {}

  private static String read() {
    // a test may pose as another release, to see a mismatch refused
    String posed = System.getProperty("parallel4j.cluster.poseAsVersion");
    if (posed != null) {
      return posed;
    }
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        throw new IllegalStateException("version.properties is missing from parallel4j-cluster");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
