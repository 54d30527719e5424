package org.kmodkit.core.build;

import java.io.IOException;

/** Runs programs on this machine, output appended to the build's log. */
public final class LocalProcessRunner implements ProcessRunner {
  @Override
  public int run(Spec spec) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(spec.argv()).directory(spec.dir().toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.log().toFile())).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(spec.env());
    Process p = pb.start();
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      throw e;
    }
  }
}
