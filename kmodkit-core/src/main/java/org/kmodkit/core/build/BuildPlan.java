package org.kmodkit.core.build;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Every (driver, kernel) pair: a build to run, or a skip that dkms.conf asks for. */
public record BuildPlan(List<Item> items) {
  public BuildPlan {
    items = List.copyOf(items);
  }

  public List<Build> builds() {
    return items.stream().filter(Build.class::isInstance).map(Build.class::cast).toList();
  }

  /** One pair of the plan. */
  public sealed interface Item permits Build, Skip {
    DriverSource driver();

    KernelTarget kernel();

    default String id() {
      return driver().name() + "-" + driver().version() + " for " + kernel().release();
    }

    <R> R accept(Visitor<R> visitor);

    /** One method per case, no default: a new case does not compile until every visitor handles it. */
    interface Visitor<R> {
      R visit(Build b);

      R visit(Skip s);
    }
  }

  /**
   * A build: copy the source to {@code buildDir}, run {@code steps} there, collect {@code modules}
   * (every .ko found when empty), check them, write them to {@code outDir}.
   *
   * @param packageDir for a build that makes packages (an SRPM's rpmbuild): where they land; the
   *     modules are then those the packages hold, not those lying in the build directory
   */
  public record Build(DriverSource driver, KernelTarget kernel, Path buildDir, List<Step> steps, List<ExpectedModule> modules, Path log, Path outDir, Optional<Path> packageDir) implements Item {
    public Build {
      steps = List.copyOf(steps);
      modules = List.copyOf(modules);
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** dkms.conf excludes this kernel (BUILD_EXCLUSIVE_*): DKMS would skip it too, and so do we. */
  public record Skip(DriverSource driver, KernelTarget kernel, String reason) implements Item {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** A shell command run in the build directory: pre_build, make, post_build. */
  public record Step(String name, String command) {
    /** DKMS runs PRE_BUILD and POST_BUILD but never looks at their exit status; kmodkit neither. */
    public boolean statusIgnored() {
      return name.equals("PRE_BUILD") || name.equals("POST_BUILD");
    }
  }

  /**
   * A module the build must produce.
   *
   * @param builtName file name without .ko
   * @param builtLocation directory relative to the build directory ("" for its top)
   * @param destName the installed name without .ko
   * @param installPath where DKMS would install it: /lib/modules/&lt;release&gt;/&lt;DEST_MODULE_LOCATION&gt;/&lt;destName&gt;.ko
   *     (where its package installs it, for a module taken from a package)
   */
  public record ExpectedModule(String builtName, String builtLocation, String destName, String installPath) {}
}
