package org.kmodkit.core.build;

/** Progress of a run, as it happens (the CLI draws it on stderr). Calls come from many threads. */
public interface BuildListener {
  default void started(BuildPlan.Build build, int index, int total) {}

  default void finished(BuildResult result, int done, int total) {}

  static BuildListener none() {
    return new BuildListener() {};
  }
}
