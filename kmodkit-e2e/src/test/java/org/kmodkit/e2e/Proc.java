package org.kmodkit.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a referee tool with a timeout and captures its output. */
final class Proc {
  record Result(int code, String out, String err) {}

  private Proc() {}

  static Result run(Path dir, int timeoutSeconds, String... cmd) {
    try {
      Path out = Files.createTempFile("proc", ".out");
      Path err = Files.createTempFile("proc", ".err");
      try {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd[0] + " (" + e.getMessage() + "): .ci/run installs it with apt-get", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Result check(Path dir, int timeoutSeconds, String... cmd) {
    Result r = run(dir, timeoutSeconds, cmd);
    if (r.code() != 0) {
      throw new IllegalStateException(String.join(" ", List.of(cmd)) + " failed with " + r.code() + ": " + r.err());
    }
    return r;
  }
}
