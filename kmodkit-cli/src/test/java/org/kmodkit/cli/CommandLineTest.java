package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.CorruptFileException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.EnvironmentException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command line as a whole: help of every command, and what an internal error looks like. */
class CommandLineTest {
  @TempDir Path tmp;

  /** Every command's path below kmodkit, found in picocli's model (all subcommands, recursively). */
  private static void walk(CommandLine cl, List<String> path, List<List<String>> into) {
    into.add(path);
    cl.getSubcommands().forEach((name, sub) -> {
      List<String> p = new ArrayList<>(path);
      p.add(name);
      walk(sub, p, into);
    });
  }

  @Test
  void helpAndHOfEveryCommandExitZeroAndPrintThatCommandsUsageWithEveryExitCode() {
    List<List<String>> all = new ArrayList<>();
    walk(Main.commandLine(Host.system(), Main.commands()), List.of(), all);
    assertThat(all).contains(List.of("package"), List.of("repo", "serve"), List.of("help"));
    for (List<String> command : all) {
      for (String help : List.of("--help", "-h")) {
        List<String> args = new ArrayList<>(command);
        args.add(help);
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        String name = String.join(" ", command);
        assertThat(r.code()).as("%s: %s", args, r.err()).isZero();
        assertThat(r.err()).as("%s", args).isEmpty();
        assertThat(r.out()).as("%s", args).containsPattern("(?m)^Usage: kmodkit" + (name.isEmpty() ? "" : " " + name) + " ").contains("Exit codes:");
        for (ExitCode c : ExitCode.values()) {
          assertThat(r.out()).as("%s", args).containsPattern("(?m)^ +" + c.code() + " +" + java.util.regex.Pattern.quote(c.summary().substring(0, 20)));
        }
      }
    }
  }

  @Test
  void packageVersionIsThePackagesVersionAndItsUsageSaysSo() {
    CliTest.Run r = CliTest.run("package", "--help");
    assertThat(r.out()).contains("--version=V").contains("Its version;").doesNotContain("Print version information");
    CliTest.Run missing = CliTest.run("package", "--version", "1.2", "--name", "x");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("Missing required option: '--modules=DIR'").doesNotContain("version");
  }

  @Command(name = "boom")
  static final class Boom implements Callable<Integer> {
    final Supplier<Throwable> what;

    @CommandLine.Option(names = {"-v", "--verbose"})
    boolean verbose;

    Boom(Supplier<Throwable> what) {
      this.what = what;
    }

    @Override
    public Integer call() throws Exception {
      Throwable t = what.get();
      if (t instanceof Error e) {
        throw e;
      }
      throw (Exception) t;
    }
  }

  private CliTest.Run boom(Supplier<Throwable> what, String... more) {
    Map<String, Function<Host, Object>> commands = new LinkedHashMap<>();
    commands.put("boom", h -> new Boom(what));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> args = new ArrayList<>(List.of("boom"));
    args.addAll(List.of(more));
    Host host = FakeHost.of(tmp, tmp, FakeHost.NO_PROGRAMS);
    int code = Main.run(host, commands, new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
    return new CliTest.Run(code, out.toString(), err.toString());
  }

  @Test
  void anErrorOrAnUnexpectedExceptionAnywhereExitsFourWithOneLineAndTheStackTraceInAFile() throws Exception {
    List<Supplier<Throwable>> failures = List.of(
        () -> new OutOfMemoryError("Java heap space"), StackOverflowError::new, () -> new IllegalStateException("unexpected,\non two lines"), () -> new AssertionError("never"));
    for (Supplier<Throwable> f : failures) {
      CliTest.Run r = boom(f);
      String kind = f.get().getClass().getName();
      assertThat(r.code()).as(kind).isEqualTo(4);
      assertThat(r.out()).isEmpty();
      assertThat(r.err().lines()).as(r.err()).hasSize(1);
      assertThat(r.err()).startsWith("kmodkit: internal error (a kmodkit bug): " + kind);
      Path trace = Path.of(r.err().replaceAll("(?s).*stack trace in (\\S+?);.*", "$1"));
      assertThat(trace).startsWith(tmp);
      assertThat(Files.readString(trace)).contains(kind).contains("at org.kmodkit.cli.CommandLineTest$Boom.call(");
      Files.delete(trace);
    }
    assertThat(boom(() -> new OutOfMemoryError("Java heap space")).err()).contains("KMODKIT_JAVA_OPTS=-Xmx");
  }

  @Test
  void withVerboseTheStackTraceGoesToStderrToo() {
    CliTest.Run r = boom(StackOverflowError::new, "-v");
    assertThat(r.code()).isEqualTo(4);
    assertThat(r.err()).startsWith("kmodkit: internal error (a kmodkit bug): java.lang.StackOverflowError").contains("\tat org.kmodkit.cli.CommandLineTest$Boom.call(");
  }

  @Test
  void exitCodesKeepDomainEnvironmentAndInternalApart() {
    assertThat(ExitCode.of(new BadInputException("x.ko", "is not an ELF file"))).isEqualTo(ExitCode.BAD_INPUT);
    assertThat(ExitCode.of(new EnvironmentException("no qemu"))).isEqualTo(ExitCode.ENVIRONMENT);
    assertThat(ExitCode.of(new OutOfMemoryError())).isEqualTo(ExitCode.INTERNAL);
    assertThat(ExitCode.of(new NullPointerException())).isEqualTo(ExitCode.INTERNAL);
    assertThat(ExitCode.INTERNAL.code()).isEqualTo(4);
  }

  @Test
  void theDomainFamilyIsSealedSoExitCodeOfCoversEveryKindAndOnlyNonDomainThrowablesAreInternal() {
    assertThat(KmodkitException.class.isSealed()).isTrue();
    assertThat(KmodkitException.class.getPermittedSubclasses()).containsExactlyInAnyOrder(BadInputException.class, EnvironmentException.class);
    for (KmodkitException.Kind kind : KmodkitException.Kind.values()) {
      assertThat(ExitCode.of(kind)).as("%s", kind).isNotIn(ExitCode.OK, ExitCode.INCOMPATIBLE, ExitCode.INTERNAL);
    }
    assertThat(ExitCode.of(new CorruptFileException("x.ko", 0x10, "bad"))).isEqualTo(ExitCode.BAD_INPUT);
  }
}
