package org.parallel4j;

import java.util.ArrayList;
import java.util.List;
import org.parallel4j.observe.Dashboard;
import org.parallel4j.spi.WorkerInfo;

/** A job server as its dashboard reads it: its stats and each backend's workers. */
final class Observed implements Dashboard.Source {
  private final JobServer server;

  Observed(JobServer server) {
    this.server = server;
  }

  @Override
  public String name() {
    return server.name();
  }

  @Override
  public String state() {
    return server.runStateName();
  }

  @Override
  public long uptimeNanos() {
    return server.now() - server.startedAt();
  }

  @Override
  public int workers() {
    return server.workers();
  }

  @Override
  public long active() {
    return server.active();
  }

  @Override
  public long queued() {
    return server.queue().size();
  }

  @Override
  public long completed() {
    return server.completed();
  }

  @Override
  public List<Dashboard.BackendRow> backends() {
    List<Lane> fed = server.fedLanes();
    List<Dashboard.BackendRow> rows = new ArrayList<>();
    for (Lane lane : server.allLanes()) {
      boolean on = fed.contains(lane);
      List<WorkerInfo> workers = List.of();
      if (on) {
        try {
          workers = lane.backend().workerInfo();
        } catch (RuntimeException e) { // a backend's bug shows as no rows, not as no page
          JobServer.logger()
              .log(System.Logger.Level.DEBUG, lane.backendName() + ": workerInfo failed", e);
        }
      }
      rows.add(
          new Dashboard.BackendRow(
              lane.backendName(),
              on ? lane.backend().workers() : 0,
              on ? lane.backend().busy() : 0,
              lane.jobs(),
              lane.nanos(),
              on ? lane.backend().status() : "removed",
              workers));
    }
    return rows;
  }

  @Override
  public void setWorkers(int workers) {
    server.setWorkers(workers);
  }
}
