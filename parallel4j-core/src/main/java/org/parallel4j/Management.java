package org.parallel4j;

import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/** A job server's MBean ({@link JobServerMXBean}): registered at build, gone at termination. */
final class Management implements JobServerMXBean {
  private final JobServer server;

  private Management(JobServer server) {
    this.server = server;
  }

  /** The name the server's MBean is registered under. */
  static ObjectName nameOf(String server) {
    try {
      return new ObjectName("org.parallel4j:type=JobServer,name=" + ObjectName.quote(server));
    } catch (JMException e) {
      throw new IllegalStateException("no MBean name for " + server, e);
    }
  }

  /**
   * Registers {@code server}'s MBean in the platform MBean server; returns its name.
   *
   * @throws IllegalStateException when a server of that name is registered already
   */
  static ObjectName register(JobServer server) {
    ObjectName name = nameOf(server.name());
    try {
      ManagementFactory.getPlatformMBeanServer().registerMBean(new Management(server), name);
    } catch (InstanceAlreadyExistsException e) {
      throw new IllegalStateException(
          "jmx: an MBean of a job server named " + server.name() + " is registered already", e);
    } catch (JMException e) {
      throw new IllegalStateException("jmx: cannot register " + name + ": " + e, e);
    }
    return name;
  }

  static void unregister(ObjectName name) {
    MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
    try {
      if (mbs.isRegistered(name)) {
        mbs.unregisterMBean(name);
      }
    } catch (JMException e) {
      JobServer.logger().log(System.Logger.Level.WARNING, "cannot unregister " + name, e);
    }
  }

  @Override
  public String getName() {
    return server.name();
  }

  @Override
  public String getState() {
    return server.runStateName();
  }

  @Override
  public int getWorkers() {
    return server.workers();
  }

  @Override
  public void setWorkers(int workers) {
    server.setWorkers(workers);
  }

  @Override
  public long getActive() {
    return server.stats().active();
  }

  @Override
  public long getQueued() {
    return server.stats().queued();
  }

  @Override
  public long getCompleted() {
    return server.stats().completed();
  }

  @Override
  public long getJobsRun() {
    return server.stats().jobsRun();
  }

  @Override
  public long getUptimeSeconds() {
    return server.stats().uptime().toSeconds();
  }

  @Override
  public String[] getBackends() {
    return server.stats().backends().stream().map(Stats.Backend::name).toArray(String[]::new);
  }

  @Override
  public String getStats() {
    return server.stats().toString();
  }
}
