package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/kmodkit as users run it, a real process each time: two installs sharing one cache, stale
 * class-data archives of killed runs, and a server stopped with SIGTERM.
 */
class LauncherIT {
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  static final Path LAUNCHER = HOME.resolve("bin/kmodkit");
  static final Path REAL = HOME.resolve("kmodkit-core/src/test/resources/real");

  @TempDir Path tmp;

  /** A copy of the built jar and its lib/ in DIR, as a second checkout or an upgrade elsewhere has. */
  private static Path install(Path dir) throws IOException {
    Path built = HOME.resolve("kmodkit-cli/target");
    Files.createDirectories(dir.resolve("lib"));
    try (Stream<Path> s = Files.list(built.resolve("lib"))) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Files.copy(p, dir.resolve("lib").resolve(p.getFileName()));
      }
    }
    return Files.copy(built.resolve("kmodkit.jar"), dir.resolve("kmodkit.jar"));
  }

  private ProcessBuilder launcher(Path jar, Path cache, String... args) {
    ProcessBuilder pb = new ProcessBuilder(Stream.concat(Stream.of(LAUNCHER.toString()), Stream.of(args)).toList());
    Map<String, String> env = pb.environment();
    env.remove("KMODKIT_NO_CDS");
    env.remove("KMODKIT_JAVA_OPTS");
    env.put("KMODKIT_JAR", jar.toString());
    env.put("KMODKIT_CACHE", cache.toString());
    return pb;
  }

  private static List<String> leftovers(Path cache) throws IOException {
    try (Stream<Path> s = Files.list(cache)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
    }
  }

  @Test
  void twoInstallsSharingOneCacheEachPrintOnlyJsonOnStdout() throws Exception {
    Path a = install(tmp.resolve("a"));
    Path b = install(tmp.resolve("b")); // copied last: newer than an archive a's first run made
    Path cache = tmp.resolve("cache");
    for (Path jar : List.of(a, b, a, b, a)) {
      Process p = launcher(jar, cache, "check", "--json", "--kernel", REAL.resolve("symvers/symvers-6.1.0-56-cloud-amd64").toString(), REAL.resolve("6.1.0-53").toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isEqualTo(1);
      assertThat(new ObjectMapper().readTree(out).get("schema").asText()).as("stdout of %s: %s", jar, out).isEqualTo("kmodkit.check/1");
      assertThat(leftovers(cache)).isEmpty();
    }
  }

  /** One run of check --json through the launcher: its stdout is the JSON and nothing else. */
  private void checkJson(ProcessBuilder pb) throws Exception {
    Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isEqualTo(1);
    assertThat(new ObjectMapper().readTree(out).get("schema").asText()).as("stdout: %s", out).isEqualTo("kmodkit.check/1");
  }

  private String[] checkArgs() {
    return new String[] {"check", "--json", "--kernel", REAL.resolve("symvers/symvers-6.1.0-56-cloud-amd64").toString(), REAL.resolve("6.1.0-53").toString()};
  }

  private static List<String> names(Path cache) throws IOException {
    try (Stream<Path> s = Files.list(cache)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void eachCommandMapsAnArchiveMadeForItsOwnClassesNotForTheFirstRunsCommand() throws Exception {
    Path jar = install(tmp.resolve("a"));
    Path cache = tmp.resolve("cache");
    assertThat(launcher(jar, cache, "--version").start().waitFor(60, TimeUnit.SECONDS)).isTrue();
    checkJson(launcher(jar, cache, checkArgs()));
    checkJson(launcher(jar, cache, checkArgs()));
    assertThat(names(cache)).hasSize(2).anyMatch(n -> n.matches("cds-[0-9]+-kmodkit\\.jsa")).anyMatch(n -> n.matches("cds-[0-9]+-check\\.jsa"));
  }

  /**
   * A help run records no archive: one recorded from it would hold a few classes of its command, and
   * every later run would map it until the jar changes. The next real run records it.
   */
  @Test
  void aHelpRunRecordsNoArchiveTheNextRealRunDoes() throws Exception {
    Path jar = install(tmp.resolve("a"));
    Path cache = tmp.resolve("cache");
    Process help = launcher(jar, cache, "check", "--help").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertThat(help.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(help.exitValue()).isZero();
    assertThat(Files.exists(cache) ? names(cache) : List.<String>of()).isEmpty();
    checkJson(launcher(jar, cache, checkArgs()));
    assertThat(names(cache)).singleElement().matches(n -> n.matches("cds-[0-9]+-check\\.jsa"), "check's archive");
  }

  /** A command that fails on this machine keeps the archive its first run recorded: no recording at every run. */
  @Test
  void aRunThatExitsTwoStillLeavesItsArchive() throws Exception {
    Path jar = install(tmp.resolve("a"));
    Path cache = tmp.resolve("cache");
    for (int i = 0; i < 2; i++) {
      Process refused = launcher(jar, cache, "check", "--kernel", tmp.resolve("no-such-symvers").toString(), REAL.resolve("6.1.0-53").toString())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      assertThat(refused.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(refused.exitValue()).isEqualTo(2);
      assertThat(names(cache)).singleElement().matches(n -> n.matches("cds-[0-9]+-check\\.jsa"), "check's archive");
    }
  }

  /** A JDK 24 or newer on this machine (the AOT cache of JEP 483), if there is one. */
  private static Path jdkWithAotCache() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
      for (Path jdk : s.sorted().toList()) {
        Path release = jdk.resolve("release");
        if (Files.isRegularFile(release) && Files.isExecutable(jdk.resolve("bin/java"))) {
          var m = java.util.regex.Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(Files.readString(release));
          if (m.find() && Integer.parseInt(m.group(1)) >= 24) {
            return jdk;
          }
        }
      }
    }
    return null;
  }

  @Test
  void onAJdkOf24OrNewerTheLauncherMakesAnAotCacheAndTheNextRunMapsItStdoutStayingTheData() throws Exception {
    Path jdk = jdkWithAotCache();
    Assumptions.assumeTrue(jdk != null, "no JDK 24+ under /usr/lib/jvm");
    Path jar = install(tmp.resolve("a"));
    Path cache = tmp.resolve("cache");
    ProcessBuilder first = launcher(jar, cache, checkArgs());
    first.environment().put("JAVA_HOME", jdk.toString());
    checkJson(first);
    // made in the background from the first run's recording
    for (int i = 0; i < 240 && !names(cache).toString().matches("\\[aot-[0-9]+-check\\.aot\\]"); i++) {
      Thread.sleep(500);
    }
    assertThat(names(cache)).singleElement().matches(n -> n.matches("aot-[0-9]+-check\\.aot"));
    ProcessBuilder second = launcher(jar, cache, checkArgs());
    second.environment().put("JAVA_HOME", jdk.toString());
    second.environment().put("KMODKIT_JAVA_OPTS", "-Xlog:class+load=info:file=" + tmp.resolve("classes.txt"));
    checkJson(second);
    assertThat(Files.readString(tmp.resolve("classes.txt"))).contains("org.kmodkit.cli.CheckCommand source: shared objects file");
    assertThat(names(cache)).singleElement().matches(n -> n.matches("aot-[0-9]+-check\\.aot"));
  }

  @Test
  void archivesHalfWrittenByRunsKilledLongAgoAreRemovedAndNothingElse() throws Exception {
    Path jar = install(tmp.resolve("a"));
    Path cache = Files.createDirectories(tmp.resolve("cache"));
    FileTime hourAgo = FileTime.from(Instant.now().minusSeconds(3600));
    Path stale = Files.write(cache.resolve("cds-1.jsa.4242.tmp"), new byte[100]);
    Files.setLastModifiedTime(stale, hourAgo);
    Path running = Files.write(cache.resolve("cds-1.jsa.4243.tmp"), new byte[100]); // another run, dumping now
    Path outside = Files.writeString(tmp.resolve("precious"), "not ours");
    Files.setLastModifiedTime(outside, hourAgo);
    Path link = Files.createSymbolicLink(cache.resolve("cds-2.jsa.4244.tmp"), outside);
    Path foreign = Files.write(cache.resolve("notes.tmp"), new byte[1]);
    Files.setLastModifiedTime(foreign, hourAgo);
    Process p = launcher(jar, cache, "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(stale).doesNotExist();
    assertThat(running).exists();
    assertThat(link).isSymbolicLink();
    assertThat(outside).hasContent("not ours");
    assertThat(foreign).exists();
  }

  @Test
  void sigtermStopsTheServerAndExitsZeroAsItsHelpSays() throws Exception {
    Path jar = install(tmp.resolve("a"));
    Path cache = tmp.resolve("cache");
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    // the first run records the class-data archive (the JVM is the launcher's child), the second maps it (exec)
    for (int run = 0; run < 2; run++) {
      Process p = launcher(jar, cache, "repo", "serve", repo.toString(), "--port", "0", "--quiet").redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String url = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertThat(url).as("run %d", run).startsWith("http://127.0.0.1:");
      int port = URI.create(url).getPort();
      p.destroy(); // SIGTERM
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("run %d", run).isZero();
      assertThat(listening(port)).as("run %d: nothing left serving", run).isFalse();
    }
  }

  private static boolean listening(int port) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (ConnectException e) {
      return false;
    }
  }
}
