package org.parallel4j;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The job server's events in Java Flight Recorder, under the category {@code parallel4j}, for JDK
 * Mission Control or {@code jfr print --events 'parallel4j.*'}: a job queued, started, ended and
 * retried; a worker of a backend that registers its workers (processes, nodes) started and ended.
 * None is made unless a recording asks for it: each hook looks first at a static probe's {@code
 * isEnabled()}, which the recorder keeps current, so with no recording a hook costs one read.
 * Events carry no stack trace.
 */
final class Events {
  private Events() {}

  static final JobQueued QUEUED = new JobQueued();
  static final JobStarted STARTED = new JobStarted();
  static final JobEnded ENDED = new JobEnded();
  static final JobRetried RETRIED = new JobRetried();
  static final WorkerStarted WORKER_STARTED = new WorkerStarted();
  static final WorkerEnded WORKER_ENDED = new WorkerEnded();

  @Name("parallel4j.JobQueued")
  @Label("Job Queued")
  @Category("parallel4j")
  @Description("A job was submitted and accepted")
  @StackTrace(false)
  static final class JobQueued extends Event {
    @Label("Server")
    String server;

    @Label("Job")
    long job;
  }

  @Name("parallel4j.JobStarted")
  @Label("Job Started")
  @Category("parallel4j")
  @Description("An attempt at a job started on a worker")
  @StackTrace(false)
  static final class JobStarted extends Event {
    @Label("Server")
    String server;

    @Label("Job")
    long job;

    @Label("Backend")
    String backend;

    @Label("Worker")
    String worker;

    @Label("Attempt")
    int attempt;

    @Label("Queued")
    @Timespan
    long queued;
  }

  @Name("parallel4j.JobEnded")
  @Label("Job Ended")
  @Category("parallel4j")
  @Description("A job that ran ended: completed, failed or cancelled")
  @StackTrace(false)
  static final class JobEnded extends Event {
    @Label("Server")
    String server;

    @Label("Job")
    long job;

    @Label("Backend")
    String backend;

    @Label("Worker")
    String worker;

    @Label("Outcome")
    String outcome;

    @Label("Run Time")
    @Timespan
    long runTime;

    @Label("Attempts")
    int attempts;
  }

  @Name("parallel4j.JobRetried")
  @Label("Job Retried")
  @Category("parallel4j")
  @Description("A job went back to the queue because its worker was lost")
  @StackTrace(false)
  static final class JobRetried extends Event {
    @Label("Server")
    String server;

    @Label("Job")
    long job;

    @Label("Attempts So Far")
    int attempts;

    @Label("Attempt Counted")
    @Description("Whether the lost attempt had started, and so counts")
    boolean counted;
  }

  @Name("parallel4j.WorkerStarted")
  @Label("Worker Started")
  @Category("parallel4j")
  @StackTrace(false)
  static final class WorkerStarted extends Event {
    @Label("Server")
    String server;

    @Label("Backend")
    String backend;

    @Label("Worker")
    String worker;
  }

  @Name("parallel4j.WorkerEnded")
  @Label("Worker Ended")
  @Category("parallel4j")
  @Description("A worker ended: retired, crashed, killed or unreachable, as its exit says")
  @StackTrace(false)
  static final class WorkerEnded extends Event {
    @Label("Server")
    String server;

    @Label("Backend")
    String backend;

    @Label("Worker")
    String worker;

    @Label("Exit")
    String exit;

    @Label("Process Id")
    long pid;

    @Label("Jobs Held")
    @Description("Jobs it held when it ended: they run again elsewhere")
    int jobsHeld;
  }
}
