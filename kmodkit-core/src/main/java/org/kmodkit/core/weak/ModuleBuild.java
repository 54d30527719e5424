package org.kmodkit.core.weak;

import java.util.List;
import java.util.Objects;
import org.kmodkit.core.elf.ModuleFile;

/**
 * The modules one package (or one directory under extra/) installed for one kernel.
 *
 * @param set the set's name: the owning package, or {@code extra/<dir>} without a package database
 * @param release the kernel the build is installed for
 * @param modules the modules, each with its path relative to {@code /lib/modules/<release>}
 */
public record ModuleBuild(String set, String release, List<Member> modules) {
  public ModuleBuild {
    Objects.requireNonNull(set);
    Objects.requireNonNull(release);
    modules = List.copyOf(modules);
  }

  /** One module of a build: its file relative to the kernel dir (e.g. extra/mlnx/mlx5_core.ko). */
  public record Member(String relPath, ModuleFile module) {
    /** Where a link to it goes under weak-updates: the path without its first component. */
    public String linkPath() {
      int slash = relPath.indexOf('/');
      return slash < 0 ? relPath : relPath.substring(slash + 1);
    }
  }

  public List<ModuleFile> files() {
    return modules.stream().map(Member::module).toList();
  }
}
