package org.kmodkit.core.verify;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs an external program (QEMU) for kmodkit: stdin empty, stdout and stderr merged and handed
 * over line by line as they come, stopped by force when {@code timeout} passes. A port, so tests
 * can play back a recorded console instead of booting.
 */
public interface ProcessRunner {
  /** How the program ended: its exit code (-1 when killed), whether the timeout killed it, how long it ran. */
  record Result(int exitCode, boolean timedOut, Duration elapsed) {}

  /**
   * Runs {@code command}; {@code lines} receives each output line (without line terminator) on a
   * thread of the runner's choosing, before this method returns.
   *
   * @throws IOException when the program cannot be started
   */
  Result run(List<String> command, Duration timeout, Consumer<String> lines) throws IOException;
}
