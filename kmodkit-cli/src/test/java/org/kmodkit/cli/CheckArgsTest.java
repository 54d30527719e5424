package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@link CheckArgs} against picocli, the model it stands in for: same fields, or it leaves the arguments to picocli. */
class CheckArgsTest {
  /** Pieces of a check command line: the forms CheckArgs takes, and forms it must leave to picocli. */
  private static final List<List<String>> PIECES = List.of(
      List.of("--kernel", "K1"), List.of("-k", "K2"), List.of("--kernel=K3"), List.of("--kernel=a=b"),
      List.of("--root", "R"), List.of("--root=R2"), List.of("--json"), List.of("-v"), List.of("--verbose"),
      List.of("-q"), List.of("--quiet"), List.of("m1.ko"), List.of("dir/sub"), List.of("a=b.ko"), List.of("check"),
      List.of("-vq"), List.of("-kK4"), List.of("-k=K5"), List.of("--"), List.of("@args"), List.of("-x"),
      List.of("--kernel"), List.of("--root"), List.of("--kernel", "-v"), List.of("-h"), List.of("--help"),
      List.of("-V"), List.of(""), List.of("m\u0000.ko"), List.of("--jso"));

  private record Fields(List<String> kernels, String root, List<String> inputs, boolean json, boolean verbose, boolean quiet) {
    static Fields of(CheckCommand c) {
      return new Fields(c.kernel.kernel, c.kernel.root == null ? null : c.kernel.root.toString(),
          c.inputs.stream().map(Object::toString).toList(), c.json.on(), c.verbosity.verbose(), c.verbosity.quiet());
    }
  }

  /** What picocli makes of {@code args} for check, or null when it refuses them or answers help/version. */
  private static Fields picocli(List<String> args) {
    CheckCommand c = new CheckCommand();
    CommandLine cl = new CommandLine(c);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    try {
      CommandLine.ParseResult r = cl.parseArgs(args.toArray(String[]::new));
      if (r.isUsageHelpRequested() || r.isVersionHelpRequested()) {
        return null;
      }
    } catch (CommandLine.ParameterException e) {
      return null;
    }
    return Fields.of(c);
  }

  @Test
  void whateverCheckArgsReadsPicocliReadsTheSameAndWhatPicocliRefusesCheckArgsLeavesToIt() {
    PrintWriter none = new PrintWriter(new StringWriter());
    java.util.Set<List<String>> lines = new java.util.LinkedHashSet<>();
    lines.add(List.of());
    for (int depth = 0; depth < 3; depth++) {
      for (List<String> line : List.copyOf(lines)) {
        for (List<String> piece : PIECES) {
          List<String> l = new ArrayList<>(line);
          l.addAll(piece);
          lines.add(l);
        }
      }
    }
    int read = 0;
    for (List<String> args : lines) {
      CheckCommand fast = new CheckCommand();
      if (CheckArgs.read(fast, args, none, none)) { // then picocli takes them too (not null), to the same fields
        read++;
        assertThat(Fields.of(fast)).as("check %s", args).isEqualTo(picocli(args));
      }
    }
    // the forms a user types are read without picocli (the point of CheckArgs)
    assertThat(read).as("command lines read without picocli, of " + lines.size()).isGreaterThan(500);
    for (String line : List.of("--kernel K m.ko", "-k K -q dir", "--kernel=K --json m1.ko m2.ko", "--root R -k 6.1.0-56 -v m.ko")) {
      assertThat(CheckArgs.read(new CheckCommand(), List.of(line.split(" ")), none, none)).as(line).isTrue();
    }
  }
}
