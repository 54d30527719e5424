package org.kmodkit.core.build;

import java.util.Objects;
import java.util.Optional;
import java.nio.file.Path;
import org.kmodkit.core.abi.KernelConfig;
import org.kmodkit.core.tree.Sysroot;

/**
 * A kernel to build for: its release and the Kbuild directory {@code make -C} takes.
 *
 * @param release the kernel release (uname -r), e.g. 6.1.0-56-cloud-amd64
 * @param buildDir the kernel build directory (headers tree, ready for make: its Makefile's include
 *     resolves on this host)
 * @param arch the machine as DKMS names it (uname -m): x86_64, aarch64, …
 * @param config the kernel's .config
 * @param compiler the C compiler the kernel was built with, as a command name (gcc-12, clang-16)
 * @param root the installed system the kernel lives in, when it was named by release: its module
 *     tree then counts for checking the rebuilt modules
 * @param origin what the user named
 */
public record KernelTarget(String release, Path buildDir, String arch, KernelConfig config, String compiler, Optional<Sysroot> root, String origin) {
  public KernelTarget {
    Objects.requireNonNull(release, "release");
    Objects.requireNonNull(buildDir, "buildDir");
    Objects.requireNonNull(config, "config");
    if (release.isBlank() || release.contains("/")) {
      throw new IllegalArgumentException("bad kernel release '" + release + "'");
    }
  }
}
