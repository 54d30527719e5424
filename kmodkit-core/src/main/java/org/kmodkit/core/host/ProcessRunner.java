package org.kmodkit.core.host;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How kmodkit starts a program, the only one: the real runner forks ({@link SystemProcessRunner}),
 * tests fake it (play back a console, pretend to be make or depmod).
 */
public interface ProcessRunner {
  /**
   * A program to run; {@link #of} gives the defaults and the {@code with…} methods change one part.
   *
   * @param argv the program and its arguments
   * @param dir the working directory; null: the current one
   * @param env variables added to (or replacing in) the inherited environment
   * @param timeout how long it may run before it and its descendants are killed; null: no limit
   * @param stdin the file read as standard input; null: empty input
   * @param out receives each line (no terminator) of standard output, and of standard error when
   *     {@code err} is null, before {@link #run} returns; null: discarded (or see {@code log})
   * @param err receives each line of standard error apart; null: merged into standard output
   * @param log a file standard output and error are appended to, instead of {@code out}
   * @param charset how output bytes become lines
   */
  record Command(List<String> argv, Path dir, Map<String, String> env, Duration timeout, Path stdin, Consumer<String> out, Consumer<String> err, Path log,
      Charset charset) {
    public Command {
      argv = List.copyOf(argv);
      env = Map.copyOf(env);
      Objects.requireNonNull(charset, "charset");
      if (argv.isEmpty()) {
        throw new IllegalArgumentException("no program to run");
      }
      if (log != null && (out != null || err != null)) {
        throw new IllegalArgumentException("output goes either to a log file or to line sinks");
      }
    }

    /** {@code argv} in the current directory, environment inherited, no limit, no input, output discarded, UTF-8. */
    public static Command of(List<String> argv) {
      return new Command(argv, null, Map.of(), null, null, null, null, null, StandardCharsets.UTF_8);
    }

    public static Command of(String... argv) {
      return of(List.of(argv));
    }

    public Command withDir(Path dir) {
      return new Command(argv, dir, env, timeout, stdin, out, err, log, charset);
    }

    public Command withEnv(Map<String, String> env) {
      return new Command(argv, dir, env, timeout, stdin, out, err, log, charset);
    }

    public Command withTimeout(Duration timeout) {
      return new Command(argv, dir, env, timeout, stdin, out, err, log, charset);
    }

    public Command withStdin(Path stdin) {
      return new Command(argv, dir, env, timeout, stdin, out, err, log, charset);
    }

    /** Output and error, merged, line by line to {@code lines}. */
    public Command withLines(Consumer<String> lines) {
      return new Command(argv, dir, env, timeout, stdin, lines, null, null, charset);
    }

    /** Output line by line to {@code out}, error apart to {@code err}. */
    public Command withLines(Consumer<String> out, Consumer<String> err) {
      return new Command(argv, dir, env, timeout, stdin, out, err, null, charset);
    }

    /** Output and error, merged, appended to {@code log}. */
    public Command withLog(Path log) {
      return new Command(argv, dir, env, timeout, stdin, null, null, log, charset);
    }

    public Command withCharset(Charset charset) {
      return new Command(argv, dir, env, timeout, stdin, out, err, log, charset);
    }

    /** The program's name, for messages. */
    public String program() {
      return argv.get(0);
    }
  }

  /** How the program ended: its exit code (-1 when killed), whether the timeout killed it, how long it ran. */
  record Result(int exitCode, boolean timedOut, Duration elapsed) {}

  /**
   * Runs {@code command} to its end (or its timeout).
   *
   * @throws IOException when the program cannot be started
   * @throws InterruptedException when the calling thread is interrupted; the program and its
   *     descendants are stopped first
   */
  Result run(Command command) throws IOException, InterruptedException;
}
