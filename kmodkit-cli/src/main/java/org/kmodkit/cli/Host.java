package org.kmodkit.cli;

import java.nio.file.Path;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.verify.ProcessRunner;
import org.kmodkit.core.verify.SystemProcessRunner;

/**
 * What commands may use of the machine they run on: its root (where tools and /dev/kvm are found),
 * its PATH, a temporary directory, and how programs are started. Tests pass a fake one.
 */
record Host(Sysroot root, String path, Path tmp, ProcessRunner runner) {
  static Host system() {
    return new Host(Sysroot.host(), System.getenv("PATH"), Path.of(System.getProperty("java.io.tmpdir")), new SystemProcessRunner());
  }
}
