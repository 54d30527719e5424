package org.kmodkit.core.build;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The port through which builds start programs: the real one forks, tests fake it. */
public interface ProcessRunner {
  /**
   * A program to run.
   *
   * @param argv the program and its arguments
   * @param dir the working directory
   * @param env variables added to (or replacing in) the inherited environment
   * @param log where stdout and stderr are appended
   */
  record Spec(List<String> argv, Path dir, Map<String, String> env, Path log) {
    public Spec {
      argv = List.copyOf(argv);
      env = Map.copyOf(env);
    }
  }

  /** Runs {@code spec} to its end; returns its exit code. */
  int run(Spec spec) throws IOException, InterruptedException;
}
