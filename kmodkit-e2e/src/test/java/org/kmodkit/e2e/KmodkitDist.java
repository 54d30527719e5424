package org.kmodkit.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * kmodkit's own packages as scripts/dist makes them, made once per test run (the jlink runtimes of both architectures
 * and their class-data archives take minutes) for every IT that judges or installs them (DistIT, NodeHooksIT).
 */
final class KmodkitDist {
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  /** What scripts/dist wrote, and what it said. */
  record Built(Path deb, Path rpm, Path armDeb, Path armRpm, Path publicKey, Proc.Result run) {}

  private static Built built;

  private KmodkitDist() {}

  static synchronized Built get() {
    if (built == null) {
      Path out = Corpus.work().resolve("dist");
      Proc.run(Corpus.work(), 120, "rm", "-rf", out.toString());
      Proc.Result r = Proc.check(HOME, 3600, HOME.resolve("scripts/dist").toString(), "--out", out.toString());
      built = new Built(find(out, "_amd64.deb"), find(out, ".x86_64.rpm"), find(out, "_arm64.deb"), find(out, ".aarch64.rpm"), find(out, ".asc"), r);
    }
    return built;
  }

  private static Path find(Path out, String suffix) {
    try (Stream<Path> files = Files.list(out)) {
      Path p = files.filter(f -> f.getFileName().toString().endsWith(suffix)).findFirst().orElse(null);
      assertThat(p).as("scripts/dist wrote a *" + suffix + " in " + out).isNotNull();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
