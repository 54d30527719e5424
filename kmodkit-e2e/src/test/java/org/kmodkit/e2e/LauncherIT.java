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
