package org.parallel4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.parallel4j.observe.Dashboard;
import org.parallel4j.process.WorkerOptions;
import org.parallel4j.spi.Backend;
import org.parallel4j.spi.ClusterProvider;
import org.parallel4j.spi.Codec;

/**
 * Options for a {@link JobServer}, validated as they are set; {@link #build()} checks them together
 * and creates the server from an immutable {@link Config}. Each option may be set once; setting it
 * again fails naming the option and its value. Not thread-safe.
 *
 * <p>Settings and defaults: the engine ({@link #threads}, {@link #virtualThreads()}, {@link
 * #processes}; none by default, which needs at least one {@link #backend}); {@link #name} ({@code
 * parallel4j-N}); {@link #maxAttempts} (3); {@link #taskDeadline} (none); {@link #ticker} (the
 * system's); {@link #codec} (Kryo); and, for worker processes only, their JVM options, class path,
 * environment, directory, initializer and recycling.
 */
public final class JobServerBuilder {
  private String name;
  private Engine engine;
  private int workers;
  private Ticker ticker;
  private int maxAttempts;
  private WorkerOptions workerOptions = WorkerOptions.defaults();
  private boolean jmx;
  private java.net.InetSocketAddress dashboardAddress;
  private String dashboardToken;
  private boolean dashboardControl;
  private final java.util.Set<String> workerOptionsSet = new java.util.LinkedHashSet<>();
  private java.time.Duration taskDeadline;
  private Codec codec;
  private final List<Backend> backends = new ArrayList<>();
  private final List<String> nodes = new ArrayList<>();
  private boolean discover;
  private boolean noLocalWorkers;
  private java.nio.file.Path clusterSecretFile;
  private String clusterSecretVariable;
  private boolean insecureCluster;

  /**
   * Runs jobs on these cluster nodes too, {@code host:port} each (Parallel Python's {@code
   * ppservers}); needs {@code parallel4j-cluster} on the class path and one of {@link
   * #clusterSecretFile}, {@link #clusterSecretFromEnvironment} or {@link #insecureCluster}. The
   * server fails to start when one of them does not answer, naming it.
   */
  public JobServerBuilder nodes(String... addresses) {
    for (String a : addresses) {
      nodes.add(Objects.requireNonNull(a, "nodes"));
    }
    return this;
  }

  /**
   * Runs jobs on every node found by multicast on the local network (pp's {@code
   * ppservers=("*",)}); as {@link #nodes}, needs {@code parallel4j-cluster} and credentials.
   */
  public JobServerBuilder discover() {
    this.discover = true;
    return this;
  }

  /**
   * Local worker processes beside the nodes (Parallel Python's {@code ncpus}): {@code
   * processes(n)}, or none for 0 ({@code ncpus=0}: nodes only).
   */
  public JobServerBuilder localWorkers(int workers) {
    if (workers < 0) {
      throw new IllegalArgumentException("localWorkers: " + workers + " (expected: >= 0)");
    }
    if (workers == 0) {
      if (engine != null) {
        throw new IllegalStateException("engine: already set to " + describe(engine, this.workers));
      }
      noLocalWorkers = true;
      return this;
    }
    return processes(workers);
  }

  /** The cluster's shared secret: the first line of {@code file} (pp's {@code secret}). */
  public JobServerBuilder clusterSecretFile(java.nio.file.Path file) {
    Objects.requireNonNull(file, "clusterSecretFile");
    checkUnset("clusterSecretFile", this.clusterSecretFile);
    this.clusterSecretFile = file;
    return this;
  }

  /** The cluster's shared secret, in environment variable {@code variable}. */
  public JobServerBuilder clusterSecretFromEnvironment(String variable) {
    Objects.requireNonNull(variable, "clusterSecretFromEnvironment");
    checkUnset("clusterSecretFromEnvironment", this.clusterSecretVariable);
    this.clusterSecretVariable = variable;
    return this;
  }

  /** No authentication and no encryption between the server and its nodes: a trusted network. */
  public JobServerBuilder insecureCluster() {
    this.insecureCluster = true;
    return this;
  }

  /**
   * Adds a backend of your own (a remote node, a test backend) beside the engine, or instead of
   * one; may be called for several. Backends take work from the one queue in the order added.
   */
  public JobServerBuilder backend(Backend backend) {
    Objects.requireNonNull(backend, "backend");
    if (backends.contains(backend)) {
      throw new IllegalStateException("backend: " + backend.name() + " already added");
    }
    backends.add(backend);
    return this;
  }

  /**
   * The codec that encodes jobs for backends that ship them (default: Kryo). Worker processes make
   * their own instance of the same class, so it needs a public no-argument constructor.
   */
  public JobServerBuilder codec(Codec codec) {
    Objects.requireNonNull(codec, "codec");
    checkUnset("codec", this.codec);
    this.codec = codec;
    return this;
  }

  /**
   * The longest any job may run from when it starts (default: no limit); a submit with its own
   * deadline overrides it. Past it the job fails with {@link TaskTimeoutException}.
   */
  public JobServerBuilder taskDeadline(java.time.Duration deadline) {
    JobServer.deadlineNanos(deadline);
    checkUnset("taskDeadline", this.taskDeadline);
    this.taskDeadline = deadline;
    return this;
  }

  JobServerBuilder() {}

  /** Runs jobs in {@code workers} worker processes. */
  public JobServerBuilder processes(int workers) {
    JobServer.checkPositive("workers", workers);
    setEngine(Engine.PROCESSES, workers);
    return this;
  }

  /**
   * How many times a job may be started when the worker running it dies (default 3); after that the
   * job fails with {@link WorkerCrashedException}.
   */
  public JobServerBuilder maxAttempts(int maxAttempts) {
    JobServer.checkPositive("maxAttempts", maxAttempts);
    if (this.maxAttempts != 0) {
      throw new IllegalStateException("maxAttempts: already set to " + this.maxAttempts);
    }
    this.maxAttempts = maxAttempts;
    return this;
  }

  /**
   * Extra options for each worker JVM, such as {@code -Xmx256m} (default: none). Worker processes
   * only.
   */
  public JobServerBuilder workerJvmArgs(String... args) {
    List<String> list = List.of(args);
    workerOption("workerJvmArgs", list);
    workerOptions = workerOptions.withJvmArgs(list);
    return this;
  }

  /**
   * Class path entries for the workers after this JVM's own (default: none), for classes that only
   * the workers need. Worker processes only.
   */
  public JobServerBuilder workerClassPath(java.nio.file.Path... entries) {
    List<java.nio.file.Path> list = List.of(entries);
    workerOption("workerClassPath", list);
    workerOptions = workerOptions.withClassPath(list);
    return this;
  }

  /**
   * Variables added to the workers' environment (default: none; they inherit this JVM's). Worker
   * processes only.
   */
  public JobServerBuilder workerEnvironment(Map<String, String> variables) {
    Objects.requireNonNull(variables, "variables");
    workerOption("workerEnvironment", variables);
    workerOptions = workerOptions.withEnvironment(variables);
    return this;
  }

  /** The workers' working directory (default: this JVM's). Worker processes only. */
  public JobServerBuilder workerDirectory(java.nio.file.Path directory) {
    Objects.requireNonNull(directory, "directory");
    if (!java.nio.file.Files.isDirectory(directory)) {
      throw new IllegalArgumentException(
          "workerDirectory: " + directory + " (expected: an existing directory)");
    }
    workerOption("workerDirectory", directory);
    workerOptions = workerOptions.withDirectory(directory);
    return this;
  }

  /**
   * Runs {@code initializer} once in each worker process before its first task, as Python's {@code
   * Pool(initializer=...)} does: to open a connection or load a model that the worker's tasks then
   * share through a static field. A worker whose initializer throws is not used: if none can start,
   * {@link #build()} throws with the initializer's exception as the cause. Worker processes only.
   */
  public JobServerBuilder workerInitializer(Task.Run initializer) {
    Objects.requireNonNull(initializer, "initializer");
    workerOption("workerInitializer", initializer);
    workerOptions = workerOptions.withInitializer(initializer);
    return this;
  }

  /**
   * Replaces a worker process with a fresh one after it has been sent {@code tasks} tasks (default:
   * never), as Python's {@code maxtasksperchild} and Parallel Python's {@code -r} do: for tasks
   * that leak memory or native resources. Worker processes only.
   */
  public JobServerBuilder maxTasksPerWorker(int tasks) {
    JobServer.checkPositive("maxTasksPerWorker", tasks);
    workerOption("maxTasksPerWorker", tasks);
    workerOptions = workerOptions.withMaxTasksPerWorker(tasks);
    return this;
  }

  /**
   * The largest argument or result, encoded, that may cross to or from a worker process (default:
   * what one Java array holds, about 2 GiB). A job whose argument or result is larger, or does not
   * fit in the heap that must hold it, fails with {@link
   * org.parallel4j.spi.PayloadTooLargeException} naming the size and the bound; its worker is not
   * replaced and the job is not retried. Worker processes only.
   */
  public JobServerBuilder maxPayload(long bytes) {
    if (bytes < 1 || bytes > WorkerOptions.DEFAULT_MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          "maxPayload: "
              + bytes
              + " (expected: 1 to "
              + WorkerOptions.DEFAULT_MAX_PAYLOAD
              + " bytes)");
    }
    workerOption("maxPayload", bytes);
    workerOptions = workerOptions.withMaxPayload(bytes);
    return this;
  }

  private void workerOption(String option, Object value) {
    if (!workerOptionsSet.add(option)) {
      throw new IllegalStateException(option + ": already set");
    }
  }

  /** The server's name (default {@code parallel4j-N}), used in thread names and messages. */
  public JobServerBuilder name(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name: \"" + name + "\" (expected: not blank)");
    }
    checkUnset("name", this.name);
    this.name = name;
    return this;
  }

  /** Runs jobs on {@code workers} platform threads. */
  public JobServerBuilder threads(int workers) {
    JobServer.checkPositive("workers", workers);
    setEngine(Engine.THREADS, workers);
    return this;
  }

  /** Runs each job on a virtual thread of its own, with no limit on how many run at once. */
  public JobServerBuilder virtualThreads() {
    setEngine(Engine.VIRTUAL, Integer.MAX_VALUE);
    return this;
  }

  /** Runs each job on a virtual thread, at most {@code maxConcurrent} at once. */
  public JobServerBuilder virtualThreads(int maxConcurrent) {
    JobServer.checkPositive("maxConcurrent", maxConcurrent);
    setEngine(Engine.VIRTUAL, maxConcurrent);
    return this;
  }

  /** The time source for job timings and stats (default: {@link Ticker#system()}). */
  public JobServerBuilder ticker(Ticker ticker) {
    Objects.requireNonNull(ticker, "ticker");
    checkUnset("ticker", this.ticker);
    this.ticker = ticker;
    return this;
  }

  /**
   * Creates the server.
   *
   * @throws IllegalStateException when no engine was chosen
   */
  public JobServer build() {
    boolean cluster = discover || !nodes.isEmpty();
    int credentials =
        (clusterSecretFile != null ? 1 : 0)
            + (clusterSecretVariable != null ? 1 : 0)
            + (insecureCluster ? 1 : 0);
    if (cluster && credentials != 1) {
      throw new IllegalStateException(
          credentials == 0
              ? "nodes: how does the server authenticate? clusterSecretFile(path),"
                  + " clusterSecretFromEnvironment(variable), or insecureCluster() on purpose"
              : "choose one of clusterSecretFile, clusterSecretFromEnvironment and insecureCluster");
    }
    if (!cluster && (credentials > 0 || noLocalWorkers)) {
      throw new IllegalStateException(
          "cluster options without nodes(...) or discover(): nothing would use them");
    }
    List<Backend> all = new ArrayList<>(backends);
    if (cluster) {
      ClusterProvider provider =
          java.util.ServiceLoader.load(
                  ClusterProvider.class, JobServerBuilder.class.getClassLoader())
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "nodes(...) and discover() need parallel4j-cluster on the class path"));
      all.add(
          provider.connect(
              new ClusterProvider.Request(
                  nodes, discover, clusterSecretFile, clusterSecretVariable, insecureCluster)));
    }
    if (engine == null && all.isEmpty()) {
      throw new IllegalStateException(
          "engine: not set (expected: threads(n), virtualThreads(), virtualThreads(n),"
              + " processes(n) or a backend(...))");
    }
    if (engine != Engine.PROCESSES && !workerOptionsSet.isEmpty()) {
      throw new IllegalStateException(
          String.join(", ", workerOptionsSet)
              + ": worker process options, but the engine is "
              + (engine == null ? "not set" : describe(engine, workers)));
    }
    if (dashboardControl && dashboardAddress == null) {
      throw new IllegalStateException("dashboardControl(): no dashboard (dashboard(port) first)");
    }
    Config config = config(all); // checks the dashboard's settings before anything starts
    JobServer server = new JobServer(config);
    try {
      if (jmx) {
        server.registerMBean();
      }
      if (config.dashboard() != null) {
        server.startDashboard(config.dashboard());
      }
    } catch (RuntimeException e) {
      server.shutdownNow();
      throw e;
    }
    return server;
  }

  /**
   * Serves a live dashboard of the server on {@code 127.0.0.1:port} ({@code 0}: a free port; see
   * {@link JobServer#dashboard()} for where): one page that updates itself every second with the
   * workers (state, pid, CPU, memory), jobs running and queued, throughput, a task stream, the
   * progress of each {@code map}, {@code mapUnordered} and group, and the last failures. Dask's
   * dashboard, for a job server. Read-only unless {@link #dashboardControl()}. It stops when the
   * server terminates; the build fails when the port is taken.
   */
  public JobServerBuilder dashboard(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("dashboard: port " + port + " (expected: 0 to 65535)");
    }
    return dashboard(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), null);
  }

  /**
   * As {@link #dashboard(int)}, listening on {@code address}. An address other than a loopback one
   * needs a {@code token}: every request must then carry it ({@code Authorization: Bearer TOKEN}; a
   * browser opens {@code http://HOST:PORT/?token=TOKEN}). {@code token} may be null on a loopback
   * address.
   *
   * @throws IllegalArgumentException when a non-loopback address has no token
   */
  public JobServerBuilder dashboard(java.net.InetSocketAddress address, String token) {
    checkUnset("dashboard", dashboardAddress);
    Dashboard.Settings checked = new Dashboard.Settings(address, token, false); // fails early
    this.dashboardAddress = checked.address();
    this.dashboardToken = token;
    return this;
  }

  /**
   * Lets the dashboard's page change the server: set its workers, and cancel a running {@code map},
   * {@code mapUnordered} or group. Off by default: a viewer only reads.
   */
  public JobServerBuilder dashboardControl() {
    this.dashboardControl = true;
    return this;
  }

  /**
   * Registers the server in the platform MBean server as {@code
   * org.parallel4j:type=JobServer,name=NAME} ({@link JobServerMXBean}: its stats, and its workers
   * to read and set from JConsole or VisualVM), until it terminates. Off by default: loading JMX
   * costs a JVM's first server tens of milliseconds. Two servers of one name cannot both register:
   * the second build fails, naming it.
   */
  public JobServerBuilder jmx() {
    this.jmx = true;
    return this;
  }

  private Config config(List<Backend> all) {
    return new Config(
        name,
        engine,
        workers,
        ticker != null ? ticker : Ticker.system(),
        maxAttempts > 0 ? maxAttempts : 3,
        taskDeadline == null ? 0 : taskDeadline.toNanos(),
        codec,
        workerOptions,
        List.copyOf(all),
        dashboardAddress == null
            ? null
            : new Dashboard.Settings(dashboardAddress, dashboardToken, dashboardControl));
  }

  /** The local engines a builder can choose. */
  enum Engine {
    THREADS,
    VIRTUAL,
    PROCESSES
  }

  /**
   * A job server's settings, checked and complete: what {@link JobServer}'s constructor reads.
   *
   * @param name the server's name, or null for {@code parallel4j-N}
   * @param engine the local engine, or null for none
   * @param workers the engine's workers
   * @param maxAttempts how many times a job may start before a lost worker fails it
   * @param deadlineNanos the default deadline, 0 for none
   * @param codec the codec, or null for Kryo's
   * @param backends backends added beside the engine, in order
   * @param dashboard where the dashboard serves, or null for none
   */
  record Config(
      String name,
      Engine engine,
      int workers,
      Ticker ticker,
      int maxAttempts,
      long deadlineNanos,
      Codec codec,
      WorkerOptions workerOptions,
      List<Backend> backends,
      Dashboard.Settings dashboard) {}

  private void setEngine(Engine engine, int workers) {
    if (this.engine != null) {
      throw new IllegalStateException(
          "engine: already set to " + describe(this.engine, this.workers));
    }
    this.engine = engine;
    this.workers = workers;
  }

  private static String describe(Engine engine, int workers) {
    if (engine == Engine.PROCESSES) {
      return "processes(" + workers + ")";
    }
    return engine == Engine.THREADS
        ? "threads(" + workers + ")"
        : workers == Integer.MAX_VALUE ? "virtualThreads()" : "virtualThreads(" + workers + ")";
  }

  private static void checkUnset(String option, Object current) {
    if (current != null) {
      throw new IllegalStateException(option + ": already set to " + current);
    }
  }
}
