package org.kmodkit.core.build;

import java.util.List;
import java.util.Map;

/**
 * Job slots shared with make. Each running build holds one slot (make's implicit token); when no
 * build waits any more, a finishing build's slot is handed to the builds still running as a
 * jobserver token, so the last builds use every core instead of one each.
 */
public interface JobServer extends AutoCloseable {
  /** Adds {@code tokens} job slots for the running makes. */
  void grant(int tokens);

  /** The argv that runs shell {@code command} as a client of this jobserver. */
  List<String> command(String command);

  /** Environment for the command (MAKEFLAGS). */
  Map<String, String> env();

  /** The files the command opens (the pipe): a confined build must be able to write them. */
  default List<java.nio.file.Path> paths() {
    return List.of();
  }

  @Override
  void close();

  /** No sharing: every make runs its jobs one at a time. */
  static JobServer none() {
    return new JobServer() {
      @Override
      public void grant(int tokens) {}

      @Override
      public List<String> command(String command) {
        return List.of("/bin/bash", "-c", command); // DKMS evals MAKE/CLEAN in bash
      }

      @Override
      public Map<String, String> env() {
        return Map.of();
      }

      @Override
      public void close() {}
    };
  }
}
