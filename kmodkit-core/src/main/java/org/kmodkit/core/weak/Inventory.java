package org.kmodkit.core.weak;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.kmodkit.core.tree.Sysroot;

/**
 * What a root holds for weak-updates: its kernels (newest first), every out-of-tree module build
 * (extra/, updates/), kmodkit's current generation per kernel, links others made, and notes on
 * what it could not use (a kernel without an ABI source, an unreadable module, a dangling link).
 *
 * @param unfinished kernels with kmodkit state but no live generation: a run was interrupted
 *     after it took the links away and before depmod (or before its first switch); the next apply
 *     finishes it
 */
public record Inventory(Sysroot root, List<String> kernels, List<String> unusableKernels, List<ModuleBuild> builds, Map<String, Generation> current, List<String> unfinished, List<ForeignLink> foreign, List<String> notes) {
  public Inventory {
    kernels = List.copyOf(kernels);
    unusableKernels = List.copyOf(unusableKernels);
    builds = List.copyOf(builds);
    current = Map.copyOf(current);
    unfinished = List.copyOf(unfinished);
    foreign = List.copyOf(foreign);
    notes = List.copyOf(notes);
  }

  /** One link kmodkit made: {@code path} under weak-updates/kmodkit, to a module of {@code fromRelease}. */
  public record Link(String path, String targetRelease, String targetRelPath, String set) {
    /** The target as the system sees it. */
    public String target() {
      return Sysroot.modulesPath(targetRelease, targetRelPath);
    }
  }

  /** kmodkit's live generation for one kernel. */
  public record Generation(String release, String name, Path dir, List<Link> links, List<String> overrides, boolean depmodDone) {
    public Generation {
      links = List.copyOf(links);
      overrides = List.copyOf(overrides);
    }
  }

  /** A link in weak-updates/ that kmodkit did not make (RHEL's weak-modules, a vendor script, a user). */
  public record ForeignLink(String release, String path, String target, boolean dangling) {}

  public List<ModuleBuild> buildsOf(String set) {
    return builds.stream().filter(b -> b.set().equals(set)).toList();
  }

  public Optional<ModuleBuild> build(String set, String release) {
    return builds.stream().filter(b -> b.set().equals(set) && b.release().equals(release)).findFirst();
  }

  public List<String> sets() {
    return builds.stream().map(ModuleBuild::set).distinct().sorted().toList();
  }
}
