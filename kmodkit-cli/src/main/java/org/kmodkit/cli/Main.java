package org.kmodkit.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.Printable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code main} only exits with what {@link #run} returns, so tests run the CLI in-process. */
@Command(
    name = "kmodkit",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Keeps out-of-tree kernel drivers working across kernel updates.")
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'kmodkit check --help', 'kmodkit verify --help' or 'kmodkit inspect --help'");
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), false);
    PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    int code = run(out, err, args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * The commands, in help order, each made for the machine it runs on. Built lazily: picocli
   * reflects over a command when it is added.
   */
  static final java.util.Map<String, java.util.function.Function<Host, Object>> COMMANDS = commands();

  private static java.util.Map<String, java.util.function.Function<Host, Object>> commands() {
    java.util.Map<String, java.util.function.Function<Host, Object>> m = new java.util.LinkedHashMap<>();
    m.put("inspect", h -> new InspectCommand());
    m.put("check", h -> new CheckCommand());
    m.put("verify", VerifyCommand::new);
    m.put("status", h -> new StatusCommand());
    m.put("weak-modules", h -> new WeakModulesCommand());
    m.put("preflight", h -> new PreflightCommand());
    m.put("demo", h -> new DemoCommand());
    m.put("rebuild", h -> new RebuildCommand());
    m.put("add-kernel-support", h -> new AddKernelSupportCommand());
    m.put("package", h -> new PackageCommand());
    m.put("repo", h -> new RepoCommand());
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Runs kmodkit with {@code args}, writing data to {@code out} and diagnostics to {@code err}. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return run(Host.system(), out, err, args);
  }

  /** As {@link #run(PrintWriter, PrintWriter, String...)} on {@code host} (tests give a fake machine). */
  static int run(Host host, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new Main());
    // a run needs one command's model; only usage and help need them all (start-up is most of a short run)
    java.util.function.Function<Host, Object> only = args.length > 0 ? COMMANDS.get(args[0]) : null;
    if (only != null) {
      cl.addSubcommand(args[0], only.apply(host));
    } else {
      COMMANDS.forEach((name, make) -> cl.addSubcommand(name, make.apply(host)));
      cl.addSubcommand("help", new CommandLine.HelpCommand());
    }
    cl.setOut(out);
    cl.setErr(err);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler((ex, a) -> {
      err.println("kmodkit: " + Printable.escape(ex.getMessage()));
      if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, err)) {
        err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
      }
      return ExitCode.BAD_INPUT.code();
    });
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      if (ex instanceof KmodkitException) {
        err.println("kmodkit: " + Printable.escape(ex.getMessage()));
        return ExitCode.of(ex).code();
      }
      err.println("kmodkit: internal error: " + Printable.escape(ex.toString()) + " (please report it with the command line)");
      ex.printStackTrace(err);
      return ExitCode.ENVIRONMENT.code();
    });
    int code = cl.execute(args);
    out.flush();
    return code;
  }

  /** The version from the jar manifest, or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"kmodkit " + (v == null ? "dev" : v)};
    }
  }
}
