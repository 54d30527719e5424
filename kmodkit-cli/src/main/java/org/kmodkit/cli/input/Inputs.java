package org.kmodkit.cli.input;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.tree.ModuleFiles;
import org.kmodkit.core.tree.ModuleSet;

/** Turns MODULE|DIR|PACKAGE arguments into {@link ModuleSet}s (KERNEL arguments: {@link KernelSpec}). */
public final class Inputs {
  private Inputs() {}

  /**
   * One set per directory and per package; loose module files together form one more set (what
   * the user named at once is judged together).
   */
  public static List<ModuleSet> moduleSets(List<Path> args) {
    List<ModuleSet> sets = new ArrayList<>();
    List<Path> loose = new ArrayList<>();
    for (Path p : args) {
      try {
        if (Files.isDirectory(p)) {
          sets.add(ModuleSet.of(p.toString(), ModuleFiles.readAll(ModuleFiles.find(p), Path::toString)));
        } else if (Files.isRegularFile(p) && KernelPackages.isPackage(p)) {
          sets.add(ModuleSet.of(p.toString(), PackageModules.read(p)));
        } else {
          loose.add(p);
        }
      } catch (BadInputException e) {
        sets.add(new ModuleSet(p.toString(), List.of(), List.of(e)));
      }
    }
    if (!loose.isEmpty()) {
      List<ModuleFiles.Read> reads = ModuleFiles.readAll(loose, p -> {
        return p.toString();
      });
      String name = loose.size() == 1 ? loose.get(0).toString() : loose.size() + " modules";
      sets.add(ModuleSet.of(name, reads));
    }
    return sets;
  }
}
