package org.kmodkit.core.host;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** {@link ProcessRunner} over {@link ProcessBuilder}: forks on this machine. */
public final class SystemProcessRunner implements ProcessRunner {
  @Override
  public Result run(Command c) throws IOException, InterruptedException {
    long start = System.nanoTime();
    ProcessBuilder pb = new ProcessBuilder(c.argv()).redirectInput(ProcessBuilder.Redirect.from(c.stdin() == null ? new File("/dev/null") : c.stdin().toFile()));
    if (c.dir() != null) {
      pb.directory(c.dir().toFile());
    }
    pb.environment().putAll(c.env());
    pb.redirectErrorStream(c.err() == null);
    if (c.log() != null) {
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(c.log().toFile()));
    } else if (c.out() == null) {
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    }
    Process p = pb.start();
    List<Thread> readers = new ArrayList<>();
    if (c.log() == null && c.out() != null) {
      readers.add(reader(p.getInputStream(), c, c.out()));
    }
    if (c.err() != null) {
      readers.add(reader(p.getErrorStream(), c, c.err()));
    }
    boolean timedOut = false;
    try {
      if (c.timeout() == null) {
        p.waitFor();
      } else if (!p.waitFor(c.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        timedOut = true;
        kill(p);
        p.waitFor();
      }
      for (Thread t : readers) {
        t.join(5000);
      }
    } catch (InterruptedException e) {
      kill(p);
      throw e;
    }
    return new Result(timedOut ? -1 : p.exitValue(), timedOut, Duration.ofNanos(System.nanoTime() - start));
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  private static Thread reader(InputStream in, Command c, Consumer<String> sink) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, c.charset()))) {
        for (String line; (line = r.readLine()) != null; ) {
          sink.accept(line);
        }
      } catch (IOException e) {
        // the pipe closes under the reader when a stopped program is killed: its output ends there
      }
    }, c.program() + "-output");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
