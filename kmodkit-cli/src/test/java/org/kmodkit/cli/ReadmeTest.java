package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README.md says what a newcomer sees: its first command installs only what is missing, as root or
 * through sudo, and every example marked {@code <!-- example: exit N -->} is a real run's stdout.
 * The one normalisation: the README's commands run from the repository root, these from
 * kmodkit-cli, so relative paths in the arguments are resolved against the root and the root's
 * prefix is taken out of the output again.
 */
class ReadmeTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Pattern EXAMPLE = Pattern.compile("<!-- example: exit (\\d) -->\\n```\\n\\$ bin/kmodkit ([^\\n]*)\\n(.*?)```", Pattern.DOTALL);

  @TempDir Path tmp;

  private static String readme() throws Exception {
    return Files.readString(ROOT.resolve("README.md"));
  }

  /** The first command of the README: the first line of its first sh block that is not a comment. */
  private static String firstCommand(String readme) {
    String block = readme.substring(readme.indexOf("```sh\n") + 6);
    return block.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).findFirst().orElseThrow();
  }

  @Test
  void everyMarkedExampleIsWhatTheCommandPrintsAndTheFirstCommandIsOneOfThem() throws Exception {
    String readme = readme();
    Matcher m = EXAMPLE.matcher(readme);
    List<String> commands = new ArrayList<>();
    while (m.find()) {
      String command = m.group(2);
      commands.add("bin/kmodkit " + command);
      List<String> args = new ArrayList<>();
      for (String a : command.split(" ")) {
        args.add(!a.startsWith("-") && Files.exists(ROOT.resolve(a)) ? ROOT.resolve(a).toString() : a);
      }
      CliTest.Run r = CliTest.run(args.toArray(String[]::new));
      assertThat(r.out().replace(ROOT + "/", "")).as("README example: bin/kmodkit %s (stderr: %s)", command, r.err()).isEqualTo(m.group(3));
      assertThat(r.code()).as("exit code of bin/kmodkit %s", command).isEqualTo(Integer.parseInt(m.group(1)));
    }
    assertThat(commands).isNotEmpty();
    String first = firstCommand(readme);
    assertThat(first).doesNotContain("sudo ");
    assertThat(commands).anyMatch(first::endsWith);
  }

  @Test
  void theExitCodeTableOfTheCommandReferenceIsExitCodeRowForRowWordForWord() throws Exception {
    String doc = Files.readString(ROOT.resolve("docs/commands.md"));
    String section = doc.substring(doc.indexOf("## Exit codes"));
    List<String> rows = section.lines().filter(l -> l.matches("\\| \\d+ \\|.*")).toList();
    List<String> declared = java.util.Arrays.stream(ExitCode.values()).map(c -> "| " + c.code() + " | " + c.meaning() + " |").toList();
    assertThat(rows).as("docs/commands.md's exit codes: copy ExitCode's meanings (kmodkit-cli) into the table").containsExactlyElementsOf(declared);
    assertThat(readme()).as("the README links the table").contains("docs/commands.md");
  }

  // scripts/install-build-deps, the first command's first step, run against stand-in tools

  private Path bin;
  private Path log;

  private void tool(String name, String body) throws Exception {
    Path p = bin.resolve(name);
    Files.writeString(p, "#!/bin/sh\nprintf '%s\\n' \"" + name + " $*\" >> " + log + "\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** A machine with bash, grep and env, apt-get and dpkg-query that know INSTALLED, the user UID, sudo when SUDO. */
  private void machine(int uid, boolean sudo, String... installed) throws Exception {
    bin = Files.createDirectories(tmp.resolve("bin" + System.nanoTime()));
    log = bin.resolve("calls.log");
    Files.writeString(log, "");
    Files.createSymbolicLink(bin.resolve("grep"), Path.of("/usr/bin/grep").toRealPath());
    Files.createSymbolicLink(bin.resolve("env"), Path.of("/usr/bin/env").toRealPath());
    Files.createSymbolicLink(bin.resolve("bash"), Path.of("/bin/bash").toRealPath());
    tool("id", "echo " + uid);
    tool("apt-get", "exit 0");
    tool("dpkg", "[ \"$1\" = --print-foreign-architectures ] && echo arm64");
    tool("dpkg-query", "case \" " + String.join(" ", installed) + " \" in *\" $3 \"*) echo 'install ok installed';; *) exit 1;; esac");
    if (sudo) {
      tool("sudo", "exec \"$@\"");
    }
  }

  private List<String> run(String script, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/bin/bash", ROOT.resolve("scripts/" + script).toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PATH", bin.toString());
    pb.environment().remove("KMODKIT_APT_UPDATED");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return Files.readAllLines(log).stream().filter(l -> !l.startsWith("dpkg-query ") && !l.startsWith("dpkg --print-foreign-architectures") && !l.startsWith("id ") && !l.startsWith("javac ")).toList();
  }

  @Test
  void theFirstCommandInstallsNothingWhereAJdk17AndMavenAreThere() throws Exception {
    machine(0, false);
    tool("javac", "echo 'javac 17.0.21'");
    tool("mvn", "exit 0");
    assertThat(run("install-build-deps")).isEmpty();
    assertThat(firstCommand(readme())).startsWith("scripts/install-build-deps && ");
  }

  @Test
  void asRootWithoutSudoItInstallsWhatIsMissingWithoutSudo() throws Exception {
    machine(0, false);
    assertThat(run("install-build-deps")).containsExactly(
        "apt-get update -q", "apt-get install -y -q --no-install-recommends --no-upgrade openjdk-17-jdk-headless maven");
  }

  @Test
  void asAUserItGoesThroughSudo() throws Exception {
    machine(1000, true);
    tool("mvn", "exit 0");
    assertThat(run("install-build-deps")).containsExactly(
        "sudo apt-get update -q", "apt-get update -q",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --no-upgrade openjdk-17-jdk-headless",
        "apt-get install -y -q --no-install-recommends --no-upgrade openjdk-17-jdk-headless");
  }

  @Test
  void theTestDepsAddArm64ForTheArm64KernelTheTierJudgesOnceAndUpdateOnce() throws Exception {
    machine(0, false, "openjdk-17-jdk-headless", "maven");
    tool("dpkg", "[ \"$1\" = --print-foreign-architectures ] && exit 0; exit 0");
    tool("javac", "echo 'javac 17.0.21'");
    tool("mvn", "exit 0");
    List<String> calls = run("install-test-deps");
    assertThat(calls.subList(0, 3)).containsExactly("dpkg --add-architecture arm64", "apt-get update -q", calls.get(2));
    assertThat(calls.get(2)).startsWith("apt-get install -y -q --no-install-recommends --no-upgrade kmod ");
    assertThat(calls).filteredOn(c -> c.startsWith("apt-get update")).hasSize(1);
  }

  @Test
  void anInstalledPackageIsNeverNamedSoNeverUpgraded() throws Exception {
    // an older JDK on PATH but the 17 package installed (alternatives point elsewhere): nothing to install for the JDK
    machine(0, false, "openjdk-17-jdk-headless", "kmod");
    tool("javac", "echo 'javac 11.0.24'");
    assertThat(run("install-test-deps")).hasSize(2).last().asString()
        .startsWith("apt-get install -y -q --no-install-recommends --no-upgrade maven dpkg-dev ")
        .doesNotContain("openjdk").doesNotContain(" kmod ");
  }
}
