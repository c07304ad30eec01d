package org.parallel4j.cluster;

import java.time.Duration;

/**
 * One node as it described itself when it greeted a job server: what {@code parallel4j status}
 * prints ({@link Cluster.Builder#status}).
 *
 * @param address the node's address, {@code host:port}
 * @param workers how many jobs it runs at once
 * @param pid its process id, on its machine
 * @param running jobs it was running
 * @param waiting jobs it held that waited for a worker
 * @param otherServers job servers connected to it besides the one asking
 * @param uptime how long it had been running
 */
public record NodeStatus(
    String address,
    int workers,
    long pid,
    int running,
    int waiting,
    int otherServers,
    Duration uptime) {}
