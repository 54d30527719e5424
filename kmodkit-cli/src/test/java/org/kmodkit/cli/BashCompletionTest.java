package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The bash completion written from the command model, run in a real bash as bash runs it on TAB. */
class BashCompletionTest {
  @TempDir Path tmp;
  Path script;

  private static CommandLine model() {
    return Main.commandLine(Host.system(), Main.commands());
  }

  @BeforeEach
  void write() throws Exception {
    script = tmp.resolve("kmodkit");
    Files.writeString(script, BashCompletion.script(model()), StandardCharsets.US_ASCII);
  }

  /** What bash offers for the command line {@code words}, the last word being the one completed. */
  private List<String> complete(String... words) throws Exception {
    StringBuilder array = new StringBuilder();
    for (String w : words) {
      array.append(" '").append(w).append('\'');
    }
    String program = "source " + script + " || exit 9\n"
        + "spec=$(complete -p kmodkit) || exit 8\n"
        + "fn=${spec#*-F }; fn=${fn%% *}\n"
        + "COMP_WORDS=(" + array + "); COMP_CWORD=" + (words.length - 1) + "; COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}\n"
        + "\"$fn\" kmodkit \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\" || exit 7\n"
        + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    Process p = new ProcessBuilder("bash", "--norc", "--noprofile", "-c", program).directory(tmp.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(err).as("bash's stderr completing %s", List.of(words)).isEmpty();
    assertThat(p.exitValue()).as("bash's exit completing %s", List.of(words)).isZero();
    return out.lines().filter(l -> !l.isEmpty()).toList();
  }

  @Test
  void aCommandsPrefixCompletesToTheCommand() throws Exception {
    assertThat(complete("kmodkit", "ch")).containsExactly("check");
    assertThat(complete("kmodkit", "")).containsAll(model().getSubcommands().keySet());
    assertThat(complete("kmodkit", "repo", "")).containsExactlyInAnyOrder("create", "serve");
    assertThat(complete("kmodkit", "repo", "s")).containsExactly("serve");
  }

  @Test
  void anOptionsPrefixCompletesToTheOptionOfThatCommand() throws Exception {
    assertThat(complete("kmodkit", "check", "--ke")).containsExactly("--kernel");
    assertThat(complete("kmodkit", "check", "-k", "x.symvers", "--ro")).containsExactly("--root");
    assertThat(complete("kmodkit", "repo", "create", "--pgp")).containsExactly("--pgp-key");
    assertThat(complete("kmodkit", "repo", "create", "--sign")).as("a deprecated spelling is not offered").isEmpty();
  }

  @Test
  void everyCommandOffersExactlyItsOwnOptions() throws Exception {
    List<CommandLine> all = new ArrayList<>();
    collect(model(), all);
    for (CommandLine cl : all) {
      List<String> words = new ArrayList<>(List.of(cl.getCommandSpec().qualifiedName(" ").split(" ")));
      words.add("-");
      List<String> names = new ArrayList<>();
      for (OptionSpec o : cl.getCommandSpec().options()) {
        if (!o.hidden()) {
          names.addAll(List.of(o.names()));
        }
      }
      assertThat(complete(words.toArray(String[]::new))).as("%s", words).containsExactlyInAnyOrderElementsOf(names);
    }
    assertThat(all).hasSizeGreaterThan(12);
  }

  private static void collect(CommandLine cl, List<CommandLine> into) {
    into.add(cl);
    cl.getSubcommands().values().forEach(sub -> collect(sub, into));
  }

  @Test
  void verifysOptionsAndItsEnumValuesComplete() throws Exception {
    assertThat(complete("kmodkit", "verify", "--")).contains("--vm", "--kernel", "--modules", "--load", "--accel", "--memory", "--timeout", "--work-dir");
    assertThat(complete("kmodkit", "verify", "--accel", "")).containsExactly("auto", "kvm", "tcg");
    assertThat(complete("kmodkit", "verify", "--accel", "=", "k")).containsExactly("kvm");
  }

  @Test
  void aPathIsLeftToBashsFileCompletionAndAWordThatIsNoCommandIsNotTakenForOne() throws Exception {
    assertThat(complete("kmodkit", "repo", "create", "--sign-key", "")).isEmpty();
    assertThat(complete("kmodkit", "check", "-k", "repo", "")).isEmpty();
    assertThat(complete("kmodkit", "check", "repo", "--ro")).containsExactly("--root");
    assertThat(Files.readString(script)).containsPattern("(?m)^complete .*-o default.* kmodkit$");
  }
}
