package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file the machine will not let kmodkit write reaches the user as one line naming the path and
 * the next step, with exit 3 (the input may be fine): never as an internal error with a stack
 * trace. Root ignores permissions, so the refusals here come from the filesystem itself: sysfs,
 * where no one creates a file, a directory where a file must go, a file where a directory must.
 */
class IoErrorsCliTest {
  @TempDir Path tmp;

  private Path modules() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("out/6.1.0-53-cloud-amd64/extra/hello"));
    if (!Files.exists(out.resolve("hello.ko"))) {
      Files.copy(CliTest.REAL.resolve("6.1.0-53").resolve("hello.ko"), out.resolve("hello.ko"));
    }
    return tmp.resolve("out");
  }

  /** Asserts one line on stderr, naming {@code path}, with {@code code}; nothing of a crash. */
  private static void oneLine(CliTest.Run r, int code, Path path) {
    assertThat(r.err().lines().filter(l -> !l.contains("warning:"))).as(r.err()).hasSize(1);
    assertThat(r.err()).as(r.err()).startsWith("kmodkit: ").doesNotContain("internal error").doesNotContain("\tat ").contains(path.toString()).contains(": cannot write (").containsPattern("\\); \\S");
    assertThat(r.code()).as(r.err()).isEqualTo(code);
  }

  private CliTest.Run pkg(Path modules, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("package", "--modules", modules.toString(), "--name", "hello", "--version", "1.0", "--out", out.toString()));
    args.addAll(List.of(more));
    return CliTest.run(args.toArray(String[]::new));
  }

  @Test
  void packageWhoseOutputFileIsADirectoryIsAnEnvironmentErrorNamingIt() throws Exception {
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    for (String name : new String[] {"hello-kernel-only-1.0-1.x86_64.rpm", "hello-kernel-only_1.0-1_amd64.deb"}) {
      Path file = Files.createDirectories(repo.resolve(name));
      Files.writeString(file.resolve("inside"), "x");
      oneLine(pkg(modules(), repo, "--format", name.endsWith(".rpm") ? "rpm" : "deb"), 3, file);
      Files.delete(file.resolve("inside"));
      Files.delete(file);
    }
  }

  @Test
  void packageIntoAReadOnlyDirectoryIsAnEnvironmentErrorNamingIt() throws Exception {
    Path readOnly = Path.of("/sys/kernel"); // sysfs: no one creates a file there, root included
    oneLine(pkg(modules(), readOnly), 3, readOnly);
  }

  @Test
  void repoCreateWhoseClientConfigIsADirectoryIsAnEnvironmentErrorNamingIt() throws Exception {
    Path repo = tmp.resolve("repo");
    assertThat(pkg(modules(), repo).code()).isZero();
    Path config = Files.createDirectories(repo.resolve("kmodkit.repo/inside"));
    oneLine(CliTest.run("repo", "create", "--yum", repo.toString()), 3, config.getParent());
  }

  @Test
  void addKernelSupportWithAReadOnlyTmpdirIsAnEnvironmentErrorNamingIt() throws Exception {
    Path readOnly = Path.of("/sys/kernel");
    oneLine(CliTest.run("add-kernel-support", "-m", tmp.toString(), "-k", "6.1.0-53-cloud-amd64", "--tmpdir", readOnly.toString()), 3, readOnly);
  }

  @Test
  void repoCreateWhoseStateDirectoryIsAFileIsAnEnvironmentErrorNamingIt() throws Exception {
    for (String kind : new String[] {"yum", "apt"}) {
      Path repo = tmp.resolve("repo-" + kind);
      assertThat(pkg(modules(), repo, "--format", kind.equals("yum") ? "rpm" : "deb").code()).isZero();
      Path state = Files.writeString(repo.resolve(".kmodkit"), "x");
      oneLine(CliTest.run("repo", "create", "--" + kind, repo.toString()), 3, state);
    }
  }
}
