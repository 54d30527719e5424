package org.kmodkit.core.build;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.host.ProcessRunner;

/**
 * GNU make's jobserver over a named pipe: every build's shell opens the pipe as fds 3 and 4 and
 * make (4.3: {@code --jobserver-auth=3,4}; 4.4 understands it too) takes and returns tokens there,
 * so the makes of all builds share one pool of job slots.
 */
public final class FifoJobServer implements JobServer {
  private final Path fifo;
  private final RandomAccessFile pipe;

  private FifoJobServer(Path fifo, RandomAccessFile pipe) {
    this.fifo = fifo;
    this.pipe = pipe;
  }

  /** Makes the pipe in {@code dir} (with mkfifo, run by {@code runner}). */
  public static FifoJobServer create(Path dir, ProcessRunner runner) throws EnvironmentException {
    Path fifo = dir.resolve("jobserver.fifo");
    try {
      Files.createDirectories(dir);
      Files.deleteIfExists(fifo);
      StringJoiner out = new StringJoiner("; ");
      if (runner.run(ProcessRunner.Command.of("mkfifo", "-m", "600", fifo.toString()).withLines(out::add)).exitCode() != 0) {
        throw new EnvironmentException(fifo + ": mkfifo failed (" + out.toString().strip() + "); check that " + dir + " is writable");
      }
      // opened read-write, so it neither blocks nor ever sees end-of-file while builds run
      return new FifoJobServer(fifo, new RandomAccessFile(fifo.toFile(), "rw"));
    } catch (IOException e) {
      throw new EnvironmentException(fifo + ": cannot make the jobserver pipe (" + e.getMessage() + "); install coreutils (mkfifo) or check that " + dir + " is writable", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EnvironmentException("interrupted while making " + fifo, e);
    }
  }

  @Override
  public synchronized void grant(int tokens) {
    if (tokens <= 0) {
      return;
    }
    try {
      pipe.write("+".repeat(tokens).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    } catch (IOException e) {
      // the builds still run, only with fewer jobs: not worth failing them for
    }
  }

  @Override
  public List<String> command(String command) {
    String f = BuildPlanner.quote(fifo.toString());
    return List.of("/bin/bash", "-c", "exec 3<>" + f + " 4<>" + f + "; " + command);
  }

  @Override
  public List<Path> paths() {
    return List.of(fifo);
  }

  @Override
  public Map<String, String> env() {
    return Map.of("MAKEFLAGS", " -j --jobserver-auth=3,4");
  }

  @Override
  public void close() {
    try {
      pipe.close();
      Files.deleteIfExists(fifo);
    } catch (IOException e) {
      // a leftover pipe in the work directory is harmless
    }
  }
}
