package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Start-up: a run loads only what its command uses (bench/startup-checkout.sh measures the cost). */
class StartupTest {
  @TempDir Path tmp;

  /** The classes a fresh JVM loads running kmodkit with {@code args}, from -Xlog:class+load. */
  private List<String> classesLoaded(String... args) throws Exception {
    return classesLoaded(List.of(), args);
  }

  /** As {@link #classesLoaded(String...)}, with {@code jvmOptions} for the JVM. */
  private List<String> classesLoaded(List<String> jvmOptions, String... args) throws Exception {
    Path log = tmp.resolve("classes.txt");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:off", "-Xlog:class+load=info:file=" + log));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("out.txt").toFile()).start();
    p.waitFor();
    return Files.readAllLines(log, StandardCharsets.UTF_8);
  }

  private static List<String> of(List<String> classes, String... packages) {
    return classes.stream().filter(line -> List.of(packages).stream().anyMatch(pkg -> line.contains(" " + pkg))).toList();
  }

  @Test
  void versionAloneLoadsNeitherPicocliNorAnyLibrary() throws Exception {
    List<String> classes = classesLoaded("--version");
    assertThat(Files.readString(tmp.resolve("out.txt"))).startsWith("kmodkit ");
    assertThat(of(classes, "picocli.", "com.fasterxml.", "org.bouncycastle.", "org.eclipse.jetty.", "org.apache.commons.")).isEmpty();
  }

  /** check's plain arguments are read without picocli's model (CheckArgs): no picocli class loads. */
  @Test
  void checkWithPlainArgumentsRunsWithoutPicocli() throws Exception {
    List<String> classes = classesLoaded("check", "-q", "--kernel", CliTest.K56, CliTest.REAL.resolve("6.1.0-53/hello.ko").toString());
    assertThat(Files.readString(tmp.resolve("out.txt"))).contains("1 module in 1 set: 0 load, 1 would not");
    assertThat(of(classes, "org.kmodkit.cli.CheckCommand")).isNotEmpty();
    assertThat(of(classes, "picocli.")).isEmpty();
    // help is picocli's
    assertThat(of(classesLoaded("check", "--help"), "picocli.CommandLine ")).isNotEmpty();
  }

  /**
   * picocli's default factory is told not to look for Groovy's Closure class, which no jar holds:
   * looking made the class loader open and index every jar on the class path (bcprov's ~6,000
   * entries among them) to miss it. picocli's own trace says whether it looked.
   */
  @Test
  void picocliDoesNotSearchTheClassPathForGroovy() throws Exception {
    classesLoaded(List.of("-Dpicocli.trace=INFO"), "status", "--help");
    assertThat(Files.readString(tmp.resolve("out.txt"))).contains("groovy Closures in annotations are disabled and will not be loaded");
  }

  @Test
  void checkOfAModuleLoadsNeitherJettyNorBouncyCastleNorJackson() throws Exception {
    List<String> classes = classesLoaded("check", "--kernel", CliTest.K56, CliTest.REAL.resolve("6.1.0-53/hello.ko").toString());
    assertThat(Files.readString(tmp.resolve("out.txt"))).contains("1 module in 1 set: 0 load, 1 would not");
    assertThat(of(classes, "org.kmodkit.cli.CheckCommand")).isNotEmpty();
    assertThat(of(classes, "com.fasterxml.", "org.bouncycastle.", "org.eclipse.jetty.", "org.kmodkit.server.", "org.kmodkit.repo.")).isEmpty();
  }

  /**
   * Every library class a command loads can sit in the class-data archive only if its class file is
   * version 50 or newer; picocli's own jar is version 49 (Java 5), so kmodkit builds picocli from its
   * sources for 17 (kmodkit-picocli). Checks every picocli class the CLI's class path gives.
   */
  @Test
  void picocliIsBuiltForJava17SoTheClassDataArchiveCanHoldIt() throws Exception {
    Path where = Path.of(CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    // the jar (a packaged build) or the classes directory (a reactor build)
    try (java.nio.file.FileSystem jar = Files.isDirectory(where) ? null : java.nio.file.FileSystems.newFileSystem(where);
        java.util.stream.Stream<Path> files = Files.walk(jar == null ? where : jar.getPath("/"))) {
      List<Path> classes = files.filter(f -> f.toString().endsWith(".class") && !f.toString().contains("META-INF")).toList();
      assertThat(classes).as("picocli classes in " + where).hasSizeGreaterThan(100);
      for (Path c : classes) {
        java.nio.ByteBuffer head = java.nio.ByteBuffer.wrap(Files.readAllBytes(c));
        assertThat(head.getInt()).as(c.toString()).isEqualTo(0xCAFEBABE);
        assertThat(head.getInt() & 0xffff).as("class-file version of " + c + " in " + where).isEqualTo(61);
      }
    }
  }

  @Test
  void versionAloneSaysWhatPicocliWouldSay() {
    StringWriter picocli = new StringWriter();
    new CommandLine(new Main()).printVersionHelp(new PrintWriter(picocli, true));
    for (String v : List.of("--version", "-V")) {
      CliTest.Run r = CliTest.run(v);
      assertThat(r.code()).isZero();
      assertThat(r.out()).isEqualTo(picocli.toString());
      assertThat(r.err()).isEmpty();
    }
  }
}
