package org.kmodkit.core.verify;

import java.nio.file.Path;
import java.util.Objects;
import org.kmodkit.core.elf.ModuleFile;

/**
 * A module to put in the VM and the file its bytes come from: the file the user named, or the one
 * extracted from a package (then {@code module.path()} still names the package entry).
 */
public record ModuleSource(ModuleFile module, Path file) {
  public ModuleSource {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(file, "file");
  }

  public String name() {
    return module.name();
  }
}
