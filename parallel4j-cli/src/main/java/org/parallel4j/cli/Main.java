package org.parallel4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code parallel4j} command. */
@Command(
    name = "parallel4j",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Parallel and distributed task execution for the JVM.",
    subcommands = {
      DemoCommand.class,
      NodeCommand.class,
      StatusCommand.class,
      CertsCommand.class,
      org.parallel4j.cli.bench.BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs the command line and returns its exit code. */
  public static int run(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  // JGroups logs each channel's address at INFO: the command shows warnings and errors only
  private static final java.util.logging.Logger JGROUPS =
      java.util.logging.Logger.getLogger("org.jgroups");

  /** Entry point. */
  public static void main(String[] args) {
    JGROUPS.setLevel(java.util.logging.Level.WARNING);
    System.exit(run(args));
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {
        "parallel4j " + (v == null ? "(development build)" : v),
        "JVM " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")"
      };
    }
  }
}
