package org.parallel4j.spi;

/**
 * The job server's record of one worker of a backend: the jobs {@linkplain WorkItem#assign
 * assigned} to it, so that when the worker is lost the server, not the backend, decides what runs
 * again. Made by {@link BackendContext#worker}. Thread-safe.
 *
 * <p>On {@link #lost}, each job the worker held and had not ended goes back to the queue: a job
 * that had {@linkplain WorkItem#started() started} counts the attempt, and fails once it has used
 * all its attempts; a job that waited behind others in the worker does not count. Any outcome the
 * worker still reports for those jobs is dropped. An item assigned to a worker already lost goes
 * straight back to the queue.
 */
public interface WorkerHandle {
  /** The worker's name, as shown where a job ran. */
  String name();

  /** The worker was lost (it crashed, was killed, or its node left) with the jobs it held. */
  void lost(WorkerLoss loss);

  /** How many jobs are assigned to this worker and have not ended. */
  int held();
}
