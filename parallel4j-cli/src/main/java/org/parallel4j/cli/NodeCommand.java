package org.parallel4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.parallel4j.cluster.ClusterSecurity;
import org.parallel4j.cluster.Node;
import org.parallel4j.cluster.NodeBuilder;
import org.parallel4j.cluster.NodeMain;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Parallel Python's {@code ppserver}: a node that runs the jobs of the cluster's job servers. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a node (Parallel Python's ppserver): joins the cluster and runs the jobs that its job"
          + " servers send, on worker processes. Prints one line when ready; SIGTERM finishes the"
          + " running jobs (30 s at most), hands back the waiting ones, leaves the cluster and"
          + " exits."
    })
final class NodeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--bind",
      defaultValue = "127.0.0.1",
      description =
          "address to listen on (default: ${DEFAULT-VALUE}, reachable from this machine only)")
  String bind;

  @Option(names = "--port", defaultValue = "7800", description = "port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--workers", description = "jobs run at once (default: one per core)")
  Integer workers;

  @Option(
      names = "--threads",
      description = "run jobs on threads of the node's JVM instead of worker processes")
  boolean threads;

  @Option(
      names = "--cluster",
      defaultValue = "parallel4j",
      description = "the cluster's name (default: ${DEFAULT-VALUE})")
  String cluster;

  @Option(
      names = "--peers",
      split = ",",
      paramLabel = "HOST:PORT",
      description = "other members to look for at start")
  List<String> peers = List.of();

  @Option(
      names = "--discover",
      description = "find the other members by multicast on the local network (pp's -a)")
  boolean discover;

  @Option(
      names = "--dns",
      paramLabel = "NAME",
      description =
          "find the other members by a DNS name, such as a Kubernetes headless service: SRV"
              + " records for a name starting with _, else A records (every node on the same"
              + " --port)")
  String dns;

  @Option(
      names = "--dns-server",
      paramLabel = "HOST:PORT",
      description = "the DNS server --dns asks (default: the system's resolver)")
  String dnsServer;

  @Option(
      names = "--idle-exit",
      paramLabel = "SECONDS",
      description = "stop once no job server has been connected for SECONDS (pp's -t)")
  Integer idleExit;

  @Option(
      names = "--max-tasks-per-worker",
      defaultValue = "0",
      description = "replace a worker process after this many tasks; 0 for never (pp's -r)")
  int maxTasksPerWorker;

  @Option(
      names = "--dashboard",
      paramLabel = "PORT",
      description = "serve the node's live dashboard on 127.0.0.1:PORT (0: a free port)")
  Integer dashboard;

  @Option(names = "--pid-file", description = "write this process's id to FILE")
  Path pidFile;

  @Option(
      names = "--class-cache",
      paramLabel = "DIR",
      description =
          "where code shipped by job servers is kept (default: ~/.cache/parallel4j/classes)")
  Path classCache;

  @ArgGroup(multiplicity = "1", heading = "How members authenticate (choose one):%n")
  Auth auth;

  static final class Auth {
    @Option(
        names = "--secret-file",
        paramLabel = "FILE",
        description = "the shared secret, the first line of FILE (pp's -s)")
    Path secretFile;

    @Option(
        names = "--secret-env",
        paramLabel = "VARIABLE",
        description = "the shared secret, in environment variable VARIABLE")
    String secretEnv;

    @Option(
        names = "--certificates",
        arity = "3",
        paramLabel = "FILE",
        description =
            "mutual TLS with your own certificates: MEMBER.p12 TRUST.p12 PASSWORD-FILE"
                + " (see 'parallel4j certs init')")
    List<Path> certificates;

    @Option(
        names = "--insecure",
        description = "no authentication, no encryption: anyone who reaches the port runs code")
    boolean insecure;

    ClusterSecurity security() {
      if (secretFile != null) {
        return ClusterSecurity.secretFile(secretFile);
      }
      if (secretEnv != null) {
        return ClusterSecurity.secretFromEnvironment(secretEnv);
      }
      if (certificates != null) {
        return ClusterSecurity.certificates(
            certificates.get(0), certificates.get(1), certificates.get(2));
      }
      return ClusterSecurity.insecure();
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    NodeBuilder b;
    try {
      b =
          Node.builder()
              .bind(bind)
              .port(port)
              .cluster(cluster)
              .peers(peers)
              .maxTasksPerWorker(maxTasksPerWorker)
              .security(auth.security());
      if (workers != null) {
        b.workers(workers);
      }
      if (threads) {
        b.threads();
      }
      if (classCache != null) {
        b.classCache(classCache);
      }
      if (discover) {
        b.discover();
      }
      if (dns != null) {
        b.dns(dns);
      }
      if (dnsServer != null) {
        b.dnsServer(dnsServer);
      }
      if (idleExit != null) {
        b.idleExit(java.time.Duration.ofSeconds(idleExit));
      }
      if (dashboard != null) {
        b.dashboard(dashboard);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (pidFile != null) {
      try {
        Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
      } catch (IOException e) {
        throw new ParameterException(spec.commandLine(), "--pid-file: cannot write " + pidFile);
      }
    }
    Node node;
    try {
      node = b.start();
    } catch (IllegalStateException | IllegalArgumentException e) {
      spec.commandLine().getErr().println("parallel4j node: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(NodeMain.drainOnExit(node));
    out.println(
        NodeMain.READY
            + node.address()
            + " ready: workers="
            + node.workers()
            + ", cluster="
            + cluster);
    node.dashboard()
        .ifPresent(uri -> out.println(NodeMain.READY + node.address() + " dashboard: " + uri));
    out.flush();
    node.awaitClosed();
    if (node.idledOut()) { // else SIGTERM closed it, and the hook ends the JVM as it drains
      out.println(NodeMain.READY + node.address() + " stopped: idle");
      out.flush();
    }
    return 0;
  }
}
