package org.kmodkit.cli;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.host.SystemProcessRunner;
import org.kmodkit.core.tree.Sysroot;

/**
 * What commands may use of the machine they run on: its root (the default system, where tools and
 * /dev/kvm are found), its environment, a temporary directory, how programs are started, standard
 * input, and the time. A command asks its Host, never the JVM's globals, so tests run it in-process
 * on a fake machine.
 *
 * @param stdin what was piped in; an interactive terminal reads as empty, so no command waits on one
 */
record Host(Sysroot root, Map<String, String> env, Path tmp, ProcessRunner runner, InputStream stdin, Clock clock) {
  Host {
    env = Map.copyOf(env);
  }

  static Host system() {
    return new Host(Sysroot.host(), System.getenv(), Path.of(System.getProperty("java.io.tmpdir")), new SystemProcessRunner(),
        System.console() != null ? InputStream.nullInputStream() : System.in, Clock.systemUTC());
  }

  /** The root a command works on: {@code option} (its --root) when given, else this machine's. */
  Sysroot root(Path option) {
    return option == null ? root : new Sysroot(option);
  }

  /** The programs' search path. */
  String path() {
    return env.get("PATH");
  }
}
