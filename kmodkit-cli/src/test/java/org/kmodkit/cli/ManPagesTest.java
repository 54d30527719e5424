package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** kmodkit(1) and the command pages: written from the command model, clean for groff, complete. */
class ManPagesTest {
  @TempDir Path tmp;

  private static CommandLine model() {
    return Main.commandLine(Host.system(), Main.commands());
  }

  /** Every command of the model that should have a page: all but picocli's own help command. */
  private static List<CommandLine> commands(CommandLine cl) {
    List<CommandLine> all = new ArrayList<>();
    if (!cl.getCommandSpec().helpCommand()) {
      all.add(cl);
      cl.getSubcommands().values().forEach(sub -> all.addAll(commands(sub)));
    }
    return all;
  }

  record Run(int code, String out, String err) {}

  private Run run(Path stdin, String... cmd) throws Exception {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectInput(stdin.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", List.of(cmd)).isTrue();
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  private Path page(String name, String roff) throws Exception {
    Path file = tmp.resolve(name);
    Files.writeString(file, roff, StandardCharsets.US_ASCII);
    return file;
  }

  /** What man shows, as plain text: groff's UTF-8 output without overstriking, the minus sign as '-'. */
  private String rendered(Path page) throws Exception {
    Run r = run(page, "groff", "-man", "-Tutf8", "-P", "-cbou", "-rLL=300n");
    assertThat(r.err()).isEmpty();
    return r.out().replace('\u2212', '-').replace('\u2010', '-');
  }

  @Test
  void everyCommandHasAPageNamedAfterItsPathAndKmodkitOneListsThemAll() {
    Map<String, String> pages = new ManPages("1.2.3", "").pages(model());
    List<String> expected = new ArrayList<>();
    for (CommandLine cl : commands(model())) {
      expected.add(cl.getCommandSpec().qualifiedName("-") + ".1");
    }
    assertThat(pages.keySet()).containsExactlyElementsOf(expected).contains("kmodkit.1", "kmodkit-check.1", "kmodkit-repo-create.1", "kmodkit-repo-serve.1");
    String top = pages.get("kmodkit.1");
    for (String name : model().getSubcommands().keySet()) {
      assertThat(top).as("kmodkit.1 lists %s", name).contains(".TP\n\\fB" + name.replace("-", "\\-") + "\\fR\n");
    }
    for (String page : expected.subList(1, expected.size())) {
      String ref = page.substring(0, page.length() - 2).replace("-", "\\-");
      assertThat(top).as("kmodkit.1 refers to %s", page).contains("\\fB" + ref + "\\fR(1)");
    }
  }

  @Test
  void everyPageIsCleanForGroffWithAllWarningsOn() throws Exception {
    for (Map.Entry<String, String> e : new ManPages("0.1.0-SNAPSHOT", "2026-12-06").pages(model()).entrySet()) {
      Run r = run(page(e.getKey(), e.getValue()), "groff", "-man", "-ww", "-z");
      assertThat(r.err()).as("groff -man -ww -z %s", e.getKey()).isEmpty();
      assertThat(r.code()).as("groff's exit code on %s", e.getKey()).isZero();
    }
  }

  @Test
  void everyOptionAndParameterOfEveryCommandIsInItsPageWithItsDescription() throws Exception {
    Map<String, String> pages = new ManPages("0.1.0", "").pages(model());
    int options = 0;
    for (CommandLine cl : commands(model())) {
      CommandSpec spec = cl.getCommandSpec();
      String name = spec.qualifiedName("-") + ".1";
      String text = rendered(page(name, pages.get(name)));
      for (OptionSpec o : spec.options()) {
        if (o.hidden()) {
          continue;
        }
        options++;
        assertThat(text).as("%s: option %s", name, o.longestName()).containsPattern("(?m)^\\s+(\\S+, )*" + java.util.regex.Pattern.quote(o.longestName()) + "\\b");
        assertThat(text.replaceAll("\\s+", " ")).as("%s: description of %s", name, o.longestName()).contains(String.join(" ", o.description()));
      }
      spec.positionalParameters().forEach(p -> assertThat(text).as("%s: %s", name, p.paramLabel()).contains(p.paramLabel()));
      assertThat(text).as("%s's synopsis", name).contains("kmodkit" + (spec.parent() == null ? "" : " " + spec.qualifiedName(" ").substring("kmodkit ".length())));
    }
    assertThat(options).isGreaterThan(50);
  }

  @Test
  void kmodkitOneDocumentsEveryExitCode() throws Exception {
    String text = rendered(page("kmodkit.1", new ManPages("0.1.0", "").pages(model()).get("kmodkit.1")));
    String status = text.substring(text.indexOf("EXIT STATUS"));
    for (ExitCode code : ExitCode.values()) {
      assertThat(status).as("exit code %s", code).containsPattern("(?m)^\\s+" + code.code() + "\\s+\\S");
    }
  }

  @Test
  void pagesAreTheSameBytesEveryTimeAndCarryTheGivenDateAndVersionOnly() {
    Map<String, String> once = new ManPages("0.1.0", "2026-12-06").pages(model());
    assertThat(new ManPages("0.1.0", "2026-12-06").pages(model())).isEqualTo(once);
    assertThat(once.get("kmodkit-check.1")).contains(".TH \"KMODKIT\\-CHECK\" 1 \"2026\\-12\\-06\" \"kmodkit 0.1.0\" ");
    assertThat(new ManPages("0.1.0", "").pages(model()).get("kmodkit.1")).contains(".TH \"KMODKIT\" 1 \"\" \"kmodkit 0.1.0\" ");
    assertThat(ManPages.date(null)).isEmpty();
    assertThat(ManPages.date("1765000000")).isEqualTo("2025-12-06");
  }

  @Test
  void theBuildWritesEveryPageAndTheCompletionTheSameBytesEachTimeAndNoStalePage() throws Exception {
    Path target = tmp.resolve("target");
    Files.createDirectories(target.resolve("man"));
    Files.writeString(target.resolve("man/kmodkit-gone.1"), ".TH GONE 1\n");
    BuildDocs.write(model(), target, "0.1.0", "2026-12-06");
    Map<String, String> pages = new ManPages("0.1.0", "2026-12-06").pages(model());
    try (Stream<Path> files = Files.list(target.resolve("man"))) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrderElementsOf(pages.keySet());
    }
    for (Map.Entry<String, String> e : pages.entrySet()) {
      assertThat(target.resolve("man").resolve(e.getKey())).hasContent(e.getValue());
    }
    assertThat(target.resolve("completion/kmodkit")).hasContent(BashCompletion.script(model()));
  }

  @Command(name = "odd", description = {".starts with a dot", "'starts with a quote", "a \\backslash, a \"quote\", an em dash \u2014 and \u00d7 and \u2026%nafter a newline"})
  static final class Odd implements Runnable {
    @Option(names = {"-x", "--ex-tra"}, paramLabel = "X", description = ".dot and 'quote at the start, 50%% off, \\fB not bold") String x;

    @Parameters(paramLabel = "FILE", description = "'quoted") List<String> files;

    @Override
    public void run() {}
  }

  @Test
  void textThatIsRoffSyntaxIsPrintedAsWrittenAndNeverInterpreted() throws Exception {
    CommandLine root = new CommandLine(new Main());
    root.addSubcommand("odd", new Odd());
    Map<String, String> pages = new ManPages("0.1.0", "").pages(root);
    String roff = pages.get("kmodkit-odd.1");
    assertThat(roff.chars()).allMatch(c -> c < 0x80);
    Path page = page("kmodkit-odd.1", roff);
    Run r = run(page, "groff", "-man", "-ww", "-z");
    assertThat(r.err()).isEmpty();
    String text = rendered(page).replaceAll("\\s+", " ");
    assertThat(text)
        .contains(".starts with a dot")
        .contains("'starts with a quote")
        .contains("a \\backslash, a \"quote\", an em dash \u2014 and \u00d7 and \u2026 after a newline")
        .contains("-x, --ex-tra=X .dot and 'quote at the start, 50% off, \\fB not bold")
        .contains("FILE... 'quoted");
    assertThat(Stream.of(roff.split("\n")).filter(l -> l.startsWith(".") || l.startsWith("'")).map(l -> l.split(" ")[0]))
        .as("every control line is a man(7) macro")
        .allMatch(m -> List.of(".TH", ".nh", ".ad", ".SH", ".PP", ".TP", ".nf", ".fi", ".br", ".\\\"").contains(m));
  }
}
