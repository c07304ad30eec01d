package org.parallel4j.spi;

/**
 * How the job server reaches a job that a backend holds: to cancel it, and to stop it past its
 * deadline. A backend gives one when it {@linkplain WorkItem#assign assigns} or {@linkplain
 * WorkItem#begin begins} an item; a worker usually is its own control, so that no object is made
 * per job. Called from any thread; must not block for long.
 */
public interface JobControl {
  /**
   * The job was cancelled while the backend holds it. With {@code interrupt}, interrupt its task if
   * it runs; without, skip it if it has not started (a backend that starts what it takes at once
   * does nothing). A job that never reached its worker may be ended here, with {@link
   * WorkItem#fail}; otherwise its worker's outcome ends it later. Must not wait for a lock that a
   * thread holds while it assigns or ends a job of this backend.
   */
  void cancel(WorkItem item, boolean interrupt);

  /**
   * The job ran past its deadline: stop it as surely as this backend can (interrupt its thread,
   * kill its worker process), and say how, to end the sentence "job 42 ran past its deadline of 100
   * ms and ...", such as {@code its thread was interrupted}. The job fails with a timeout whatever
   * the task does next; a result that still comes is dropped.
   */
  String stopOverdue(WorkItem item);
}
