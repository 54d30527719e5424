package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** scripts/dist's several runs in one JVM: each must exit as expected, or the archive is not made. */
class ClassDataRunsTest {
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return ClassDataRuns.run(args, new PrintWriter(err, true));
  }

  @Test
  void runsThatExitAsExpectedPass() {
    assertThat(run("0", "--version", "--then", "1", "check", "--kernel", CliTest.K56, CliTest.REAL.resolve("6.1.0-53/hello.ko").toString())).isZero();
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void aRunThatExitsOtherwiseIsNamedAndFailsTheWhole() {
    assertThat(run("0", "--version", "--then", "0", "check", "--kernel", CliTest.K56)).isEqualTo(3);
    assertThat(err.toString()).contains("kmodkit check --kernel " + CliTest.K56 + " exited 2, not 0");
  }

  @Test
  void aRunWithoutItsExpectedExitIsRefused() {
    assertThat(run("check", "--kernel", CliTest.K56)).isEqualTo(2);
    assertThat(run("0")).isEqualTo(2);
    assertThat(err.toString()).contains("each run is EXPECTED-EXIT ARGS");
  }
}
