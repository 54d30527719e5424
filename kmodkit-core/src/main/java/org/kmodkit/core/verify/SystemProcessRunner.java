package org.kmodkit.core.verify;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** {@link ProcessRunner} over {@link ProcessBuilder}. */
public final class SystemProcessRunner implements ProcessRunner {
  @Override
  public Result run(List<String> command, Duration timeout, Consumer<String> lines) throws IOException {
    long start = System.nanoTime();
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close(); // no console input: the guest needs none, and QEMU must not wait for it
    // a console carries whatever bytes the guest wrote: ISO-8859-1 maps every byte, so reading never fails
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.ISO_8859_1))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.accept(line);
        }
      } catch (IOException e) {
        // the pipe closes under the reader when a stopped program is killed: its output ends there
      }
    }, "console-reader");
    reader.setDaemon(true);
    reader.start();
    boolean timedOut = false;
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        timedOut = true;
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor();
      }
      reader.join(5000);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while " + command.get(0) + " ran; stopped it", e);
    }
    return new Result(timedOut ? -1 : p.exitValue(), timedOut, Duration.ofNanos(System.nanoTime() - start));
  }
}
