package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.testkit.Bombs;

class BombCliTest {
  @TempDir Path dir;

  @Test
  void checkOfADirectoryOfBombsStillJudgesItsGoodModuleAndExitsTwo() throws Exception {
    Bombs.modules(dir, 8, 80L << 20);
    Files.copy(CliTest.REAL.resolve("6.1.0-56/hello.ko"), dir.resolve("hello.ko"));
    CliTest.Run r = CliTest.run("check", "--kernel", CliTest.K56, dir.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.out()).contains("ok   hello: loads");
    assertThat((r.out() + r.err()).split("expands beyond 64 MiB, more than any real kernel module", -1)).hasSize(9);
  }
}
