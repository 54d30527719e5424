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
    Usage.missingCommand(spec);
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
   * reflects over a command when it is added. A method, not a constant: Main's initialisation
   * stays free of it (and of its 13 lambdas) for `--version`.
   */
  static java.util.Map<String, java.util.function.Function<Host, Object>> commands() {
    java.util.Map<String, java.util.function.Function<Host, Object>> m = new java.util.LinkedHashMap<>();
    m.put("inspect", h -> new InspectCommand());
    m.put("check", h -> new CheckCommand());
    m.put("verify", VerifyCommand::new);
    m.put("status", StatusCommand::new);
    m.put("weak-modules", WeakModulesCommand::new);
    m.put("preflight", PreflightCommand::new);
    m.put("demo", DemoCommand::new);
    m.put("rebuild", RebuildCommand::new);
    m.put("add-kernel-support", AddKernelSupportCommand::new);
    m.put("package", h -> new PackageCommand());
    m.put("repo", h -> new RepoCommand());
    m.put("cache", h -> new CacheCommand());
    m.put("fleet", h -> new FleetCommand());
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Runs kmodkit with {@code args}, writing data to {@code out} and diagnostics to {@code err}. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      // the one run that needs no model at all: answered before picocli loads (its ~170 classes and
      // its reflection are most of this run's start-up), in the words picocli would print
      out.println(version());
      out.flush();
      return ExitCode.OK.code();
    }
    return run(Host.system(), out, err, args);
  }

  /** As {@link #run(PrintWriter, PrintWriter, String...)} on {@code host} (tests give a fake machine). */
  static int run(Host host, PrintWriter out, PrintWriter err, String... args) {
    return run(host, commands(), out, err, args);
  }

  /**
   * As {@link #run(Host, PrintWriter, PrintWriter, String...)} with {@code commands}. Whatever a
   * command throws ends here: a domain exception as its one line and code, anything else — an
   * Error included — as an internal error (exit 4), never as a verdict.
   */
  static int run(Host host, java.util.Map<String, java.util.function.Function<Host, Object>> commands, PrintWriter out, PrintWriter err, String... args) {
    int code;
    try {
      CheckCommand plain = plainCheck(host, commands, args, out, err);
      if (plain != null) {
        // plainly check's arguments: run without building picocli's model (CheckArgs)
        try {
          code = plain.call();
        } catch (KmodkitException e) {
          code = refused(e, err);
        }
      } else {
        CommandLine cl = commandLine(host, commands, args);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
          err.println("kmodkit: " + Printable.escape(ex.getMessage()));
          if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, err)) {
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
          }
          return ExitCode.BAD_INPUT.code();
        });
        cl.setExecutionExceptionHandler((ex, line, parsed) -> ex instanceof KmodkitException k ? refused(k, err) : internalError(host, ex, err, args));
        code = cl.execute(args);
      }
    } catch (Throwable t) { // an Error passes picocli's handlers
      code = internalError(host, t, err, args);
    }
    out.flush();
    err.flush();
    return code;
  }

  /** {@code check} made from {@code args} by {@link CheckArgs}, or null when they are for picocli to read. */
  private static CheckCommand plainCheck(Host host, java.util.Map<String, java.util.function.Function<Host, Object>> commands, String[] args, PrintWriter out, PrintWriter err) {
    java.util.function.Function<Host, Object> make = args.length > 1 && args[0].equals("check") ? commands.get("check") : null;
    return make != null && make.apply(host) instanceof CheckCommand check
        && CheckArgs.read(check, java.util.Arrays.asList(args).subList(1, args.length), out, err) ? check : null;
  }

  /** A domain exception as its one line, and the exit code its kind gives. */
  private static int refused(KmodkitException e, PrintWriter err) {
    err.println("kmodkit: " + Printable.escape(e.getMessage()));
    return ExitCode.of(e).code();
  }

  /**
   * The CLI's model: the command named by {@code args[0]} only (a run needs one command's model,
   * and start-up is most of a short run), or every command when usage or help is asked for.
   */
  static CommandLine commandLine(Host host, java.util.Map<String, java.util.function.Function<Host, Object>> commands, String... args) {
    // picocli's default factory looks for Groovy's Closure class unless told not to: a class no jar
    // holds, so the class loader opened and indexed every jar on the class path to miss it (~10 ms)
    System.setProperty("picocli.disable.closures", "true");
    CommandLine cl = new CommandLine(new Main());
    java.util.function.Function<Host, Object> only = args.length > 0 ? commands.get(args[0]) : null;
    if (only != null) {
      cl.addSubcommand(args[0], only.apply(host));
    } else {
      commands.forEach((name, make) -> cl.addSubcommand(name, make.apply(host)));
      cl.addSubcommand("help", new CommandLine.HelpCommand());
    }
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    exitCodes(cl);
    // the shared options' per-command texts (Options.java), last so every subcommand has them. Not
    // `@Command(resourceBundle = …)`: ResourceBundle.getBundle's lookup cost ~30 ms of every run, and
    // only help and man pages read the texts, which the bundle loads when first asked.
    cl.setResourceBundle(new Options.Texts());
    return cl;
  }

  /** Every command's help ends with the exit codes, from {@link ExitCode}: declared once, shown everywhere. */
  private static void exitCodes(CommandLine cl) {
    cl.getCommandSpec().usageMessage().exitCodeListHeading("Exit codes:%n").exitCodeList(ExitCode.helpList());
    cl.getSubcommands().values().forEach(Main::exitCodes);
  }

  /**
   * One line for a kmodkit bug, the stack trace in a file (and on stderr with -v): what to report,
   * without a stack trace in the user's face.
   */
  private static int internalError(Host host, Throwable t, PrintWriter err, String... args) {
    boolean verbose = java.util.List.of(args).contains("-v") || java.util.List.of(args).contains("--verbose");
    java.io.StringWriter trace = new java.io.StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    String where;
    try {
      java.nio.file.Path file = java.nio.file.Files.createTempFile(host.tmp(), "kmodkit-internal-error-", ".txt");
      java.nio.file.Files.writeString(file, version() + "\nargs: " + String.join(" ", args) + "\n" + trace);
      where = "stack trace in " + file;
    } catch (Exception | Error e) {
      where = "no stack trace saved (" + e + ")";
      verbose = true;
    }
    String line = "kmodkit: internal error (a kmodkit bug): " + t + "; " + where + "; "
        + (t instanceof OutOfMemoryError ? "if the input is legitimately large, give the JVM more memory (KMODKIT_JAVA_OPTS=-Xmx4g); " : "")
        + "please report it with the command line";
    err.println(Printable.escape(line.replaceAll("\\s*\\R\\s*", " ")));
    if (verbose) {
      err.print(trace);
    }
    return ExitCode.INTERNAL.code();
  }

  /** The version from the jar manifest, or "dev" when run from classes. */
  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return "kmodkit " + (v == null ? "dev" : v);
  }

  // Picocli's types stay out of Main's own code (the verifier loads what a method throws or passes
  // as a supertype when Main loads): `--version` runs without picocli.

  /** {@link #version()} for picocli. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {version()};
    }
  }

  private static final class Usage {
    static void missingCommand(CommandLine.Model.CommandSpec spec) {
      throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'kmodkit check --help', 'kmodkit verify --help' or 'kmodkit inspect --help'");
    }
  }
}
