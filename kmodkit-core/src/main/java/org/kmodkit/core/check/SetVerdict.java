package org.kmodkit.core.check;

import java.util.List;

/** The verdicts on one module set (what one package or directory installs). */
public record SetVerdict(String name, List<ModuleVerdict> modules) {
  public SetVerdict {
    modules = List.copyOf(modules);
  }

  /** True when every module of the set would load. */
  public boolean loads() {
    return modules.stream().allMatch(ModuleVerdict::loads);
  }

  public long loadable() {
    return modules.stream().filter(ModuleVerdict::loads).count();
  }
}
