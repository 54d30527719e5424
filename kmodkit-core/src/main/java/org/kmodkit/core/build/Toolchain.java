package org.kmodkit.core.build;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kmodkit.core.EnvironmentException;

/**
 * The host programs a build needs, looked up on PATH before anything runs, so a missing compiler
 * is one clear line (with the package that provides it) instead of twelve failed builds.
 */
public final class Toolchain {
  private final List<Path> path;

  /** @param pathVariable the PATH to search (colon-separated) */
  public Toolchain(String pathVariable) {
    this.path = pathVariable == null ? List.of() : java.util.Arrays.stream(pathVariable.split(":")).filter(s -> !s.isEmpty()).map(Path::of).toList();
  }

  public boolean has(String program) {
    return path.stream().anyMatch(d -> Files.isExecutable(d.resolve(program)) && !Files.isDirectory(d.resolve(program)));
  }

  /** Fails with advice when make or a kernel's compiler is missing. */
  public void require(List<KernelTarget> kernels) throws EnvironmentException {
    if (!has("make")) {
      throw new EnvironmentException("make is not installed (not on PATH); install it: apt-get install make (Debian), dnf install make (RHEL)");
    }
    Map<String, KernelTarget> compilers = new LinkedHashMap<>();
    for (KernelTarget k : kernels) {
      compilers.putIfAbsent(k.compiler(), k);
    }
    for (Map.Entry<String, KernelTarget> e : compilers.entrySet()) {
      String cc = e.getKey();
      if (!has(cc)) {
        KernelTarget k = e.getValue();
        String built = k.config().get("CC_VERSION_TEXT");
        throw new EnvironmentException(cc + " is not installed (not on PATH): kernel " + k.release() + " was built with " + (built == null ? cc : built)
            + " and its modules must be built with the same compiler; install it: " + packageAdvice(cc, built));
      }
    }
  }

  /** Fails with advice when a source RPM is to be built and rpmbuild is missing. */
  public void requireFor(List<DriverSource> drivers) throws EnvironmentException {
    for (DriverSource d : drivers) {
      if (d instanceof DriverSource.Srpm && !has("rpmbuild")) {
        throw new EnvironmentException("rpmbuild is not installed (not on PATH): " + d.origin() + " is a source RPM, which kmodkit builds with the real rpmbuild; install it: apt-get install rpm (Debian), dnf install rpm-build (RHEL)");
      }
    }
  }

  static String packageAdvice(String cc, String versionText) {
    if (versionText != null && versionText.contains("Debian") && cc.startsWith("gcc-")) {
      String v = cc.substring(4);
      return "apt-get install " + cc + " (Debian package " + cc + "; linux-compiler-gcc-" + v + "-x86 depends on it)";
    }
    if (cc.startsWith("clang")) {
      return "apt-get install " + cc + " (Debian), dnf install clang (RHEL)";
    }
    return "apt-get install " + cc + " (Debian), dnf install " + cc + " (RHEL)";
  }
}
