package org.kmodkit.core.tree;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.testkit.Bombs;
import org.kmodkit.testkit.KoBuilder;

class ModuleFilesTest {
  @TempDir Path dir;

  @Test
  void aDirectoryOfBombsStillHasItsGoodModuleReadAndEachBombRefused() throws Exception {
    Bombs.modules(dir, 8, 80L << 20);
    Files.write(dir.resolve("good.ko"), KoBuilder.module("good").uses("_printk", 1).build());
    List<ModuleFiles.Read> reads = ModuleFiles.readAll(ModuleFiles.find(dir), Path::toString);
    assertThat(reads).hasSize(9);
    assertThat(reads.stream().filter(ModuleFiles.Read::ok).map(r -> r.module().name())).containsExactly("good");
    assertThat(reads.stream().filter(r -> !r.ok()).map(r -> r.error().getMessage()))
        .hasSize(8).allMatch(m -> m.matches(".*/bomb\\d\\.ko\\.zst: expands beyond 64 MiB, more than any real kernel module .*"));
  }

  @Test
  void runningOutOfMemoryOnOneFileIsThatFilesFailureNotACrashOrAVerdict() {
    ModuleFiles.Read r = ModuleFiles.guarded(dir.resolve("x.ko"), "x.ko", () -> {
      throw new OutOfMemoryError("Java heap space");
    });
    assertThat(r.ok()).isFalse();
    assertThat(r.error().getMessage()).startsWith("x.ko: ran out of memory reading it (").contains("KMODKIT_JAVA_OPTS=-Xmx");
  }

  @Test
  void anyOtherErrorInAReaderIsReportedAgainstItsFileAsABug() {
    ModuleFiles.Read r = ModuleFiles.guarded(dir.resolve("x.ko"), "x.ko", () -> {
      throw new StackOverflowError();
    });
    assertThat(r.ok()).isFalse();
    assertThat(r.error().getMessage()).startsWith("x.ko: unreadable (java.lang.StackOverflowError)").endsWith("please report this as a kmodkit bug");
  }
}
