package org.kmodkit.core.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.host.ProcessRunner.Command;

class SystemProcessRunnerTest {
  @TempDir Path dir;
  final ProcessRunner runner = new SystemProcessRunner();

  @Test
  void outputAndErrorArriveMergedLineByLineWithTheExitCode() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    ProcessRunner.Result r = runner.run(Command.of("sh", "-c", "echo one; echo two >&2; exit 3").withLines(lines::add));
    assertThat(lines).containsExactly("one", "two");
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.timedOut()).isFalse();
  }

  @Test
  void errorKeptApartWhenAskedSoOutputLinesStayInOrder() throws Exception {
    List<String> out = new CopyOnWriteArrayList<>();
    List<String> err = new CopyOnWriteArrayList<>();
    runner.run(Command.of("sh", "-c", "echo a; echo warning >&2; echo b").withLines(out::add, err::add));
    assertThat(out).containsExactly("a", "b");
    assertThat(err).containsExactly("warning");
  }

  @Test
  void runsInTheDirectoryWithTheEnvironmentAndStdinGiven() throws Exception {
    Path in = Files.writeString(dir.resolve("in"), "from stdin\n");
    List<String> lines = new CopyOnWriteArrayList<>();
    runner.run(Command.of("sh", "-c", "pwd; echo $KMODKIT_X; cat").withDir(dir).withEnv(Map.of("KMODKIT_X", "x1")).withStdin(in).withLines(lines::add));
    assertThat(lines).containsExactly(dir.toRealPath().toString(), "x1", "from stdin");
  }

  @Test
  void stdinIsEmptyUnlessGivenSoNoProgramWaitsForATerminal() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    runner.run(Command.of("sh", "-c", "cat; echo end").withTimeout(Duration.ofSeconds(20)).withLines(lines::add));
    assertThat(lines).containsExactly("end");
  }

  @Test
  void aLogFileIsAppendedTo() throws Exception {
    Path log = Files.writeString(dir.resolve("build.log"), "before\n");
    runner.run(Command.of("sh", "-c", "echo out; echo err >&2").withLog(log));
    assertThat(Files.readAllLines(log)).containsExactly("before", "out", "err");
  }

  @Test
  void aProgramPastItsTimeoutIsKilledWithItsChildren() throws Exception {
    Path pid = dir.resolve("child.pid");
    ProcessRunner.Result r = runner.run(Command.of("sh", "-c", "sleep 60 & echo $! > " + pid + "; wait").withTimeout(Duration.ofMillis(500)));
    assertThat(r.timedOut()).isTrue();
    assertThat(r.exitCode()).isEqualTo(-1);
    long child = Long.parseLong(Files.readString(pid).strip());
    ProcessHandle.of(child).ifPresent(h -> h.onExit().orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join()); // throws when it lives on
  }

  @Test
  void aProgramThatIsNotThereCannotStart() {
    assertThatThrownBy(() -> runner.run(Command.of("/nonexistent/kmodkit-no-such-program"))).isInstanceOf(IOException.class);
  }
}
