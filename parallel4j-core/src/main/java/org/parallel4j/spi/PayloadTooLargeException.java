package org.parallel4j.spi;

/**
 * A job's argument or result could not cross to or from its worker: larger than the bound set with
 * {@link org.parallel4j.JobServerBuilder#maxPayload(long)}, or than the heap that had to hold it.
 * It fails that job alone, as its own exception would: the worker is not replaced and the job is
 * not retried. Here, in the SPI, because a backend that ships jobs raises it.
 */
public class PayloadTooLargeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long size;
  private final long bound;

  /**
   * @param what what did not fit, such as {@code the result of job 12}
   * @param size its size in bytes, encoded (-1 when not known)
   * @param bound the bound it exceeded, in bytes (-1 when it was the heap)
   */
  public PayloadTooLargeException(String what, long size, long bound) {
    super(message(what, size, bound));
    this.size = size;
    this.bound = bound;
  }

  private static String message(String what, long size, long bound) {
    String s = size < 0 ? "" : String.format(" (%,d bytes encoded)", size);
    return bound < 0
        ? what + s + " does not fit in the heap that must hold it; give that JVM more (-Xmx)"
        : String.format(
            "%s is %,d bytes encoded, over the bound of %,d bytes (JobServerBuilder.maxPayload)",
            what, size, bound);
  }

  /** The payload's size in bytes, encoded; -1 when not known. */
  public long size() {
    return size;
  }

  /** The bound it exceeded; -1 when it was the heap. */
  public long bound() {
    return bound;
  }
}
