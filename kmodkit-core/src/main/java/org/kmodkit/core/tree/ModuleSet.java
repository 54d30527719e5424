package org.kmodkit.core.tree;

import java.util.List;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.elf.ModuleFile;

/**
 * The modules one package or directory installs, judged together; {@code errors} are the files of
 * the set that could not be read (reported, while the others are still judged).
 */
public record ModuleSet(String name, List<ModuleFile> modules, List<BadInputException> errors) {
  public ModuleSet {
    modules = List.copyOf(modules);
    errors = List.copyOf(errors);
  }

  /** Splits reads into modules and errors. */
  public static ModuleSet of(String name, List<ModuleFiles.Read> reads) {
    List<ModuleFile> ok = reads.stream().filter(ModuleFiles.Read::ok).map(ModuleFiles.Read::module).toList();
    List<BadInputException> bad = reads.stream().filter(r -> !r.ok()).map(ModuleFiles.Read::error).toList();
    return new ModuleSet(name, ok, bad);
  }
}
