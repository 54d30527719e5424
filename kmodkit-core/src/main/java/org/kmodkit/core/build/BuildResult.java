package org.kmodkit.core.build;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.kmodkit.core.check.ModuleVerdict;

/** How one (driver, kernel) pair ended. */
public sealed interface BuildResult permits BuildResult.Built, BuildResult.Failed, BuildResult.Skipped {
  <R> R accept(Visitor<R> visitor);

  /** One method per case, no default: a new case does not compile until every visitor handles it. */
  interface Visitor<R> {
    R visit(Built o);

    R visit(Failed o);

    R visit(Skipped o);
  }

  BuildPlan.Item item();

  /**
   * A module the build made.
   *
   * @param file where it is now: the output tree for a good build, the build directory otherwise
   * @param installPath where DKMS (or the package it came in) would install it (null for a Kbuild tree)
   * @param verdict {@code check}'s verdict against the kernel built for
   */
  record Module(String name, Path file, String installPath, boolean signed, ModuleVerdict verdict) {}

  /**
   * Built, every module checked good against its kernel, written to the output tree.
   *
   * @param packages the packages the build made (an SRPM's kmod RPMs), as written to the output tree
   */
  record Built(BuildPlan.Build item, Duration duration, Duration processTime, List<Module> modules, List<Path> packages) implements BuildResult {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    public Built {
      modules = List.copyOf(modules);
      packages = List.copyOf(packages);
    }
  }

  /**
   * A step failed, a module is missing, or check rejects a module: nothing was written to the
   * output tree, the build directory is kept.
   *
   * @param reason one line: what failed; when check rejects a module, the first module in
   *     {@code modules} whose verdict does not load is the one, and renderers add its summary
   * @param errorLines the first error lines of the log (compiler errors first)
   */
  record Failed(BuildPlan.Build item, Duration duration, Duration processTime, String reason, List<String> errorLines, List<Module> modules) implements BuildResult {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    public Failed {
      errorLines = List.copyOf(errorLines);
      modules = List.copyOf(modules);
    }
  }

  /** Not built because dkms.conf excludes the kernel. */
  record Skipped(BuildPlan.Skip item) implements BuildResult {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }
}
