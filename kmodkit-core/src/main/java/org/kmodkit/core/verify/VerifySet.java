package org.kmodkit.core.verify;

import java.util.List;

/** The modules one directory or package holds: loaded together, in dependency order, in one go. */
public record VerifySet(String name, List<ModuleSource> modules) {
  public VerifySet {
    modules = List.copyOf(modules);
  }
}
