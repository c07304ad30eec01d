package org.parallel4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.parallel4j.cluster.Certificates;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code parallel4j certs init DIR}: certificates for a cluster that runs on mutual TLS. */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = "Makes certificates for a cluster (see 'certs init --help').",
    subcommands = {CertsCommand.Init.class})
final class CertsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "init",
      mixinStandardHelpOptions = true,
      description = {
        "Makes a new certificate authority for a cluster in DIR, and a certificate for each member:"
            + " authority.p12 (keep it off the members), trust.p12, member-N.p12, and the stores'"
            + " password (mode 0600). Start each member with"
            + " --certificates DIR/member-N.p12 DIR/trust.p12 DIR/password."
      })
  static final class Init implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "where the stores go; nothing is overwritten")
    Path dir;

    @Option(
        names = "--members",
        defaultValue = "2",
        description = "how many member certificates (default: ${DEFAULT-VALUE})")
    int members;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try {
        List<Path> written = Certificates.init(dir, members);
        written.forEach(p -> out.println("wrote " + p));
        return 0;
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      } catch (IOException e) {
        spec.commandLine().getErr().println("parallel4j certs init: " + e.getMessage());
        return 1;
      }
    }
  }
}
