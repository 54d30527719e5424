package org.kmodkit.cli.input;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.tree.KernelAbiLoader;
import org.kmodkit.core.tree.ModuleFiles;
import org.kmodkit.core.tree.ModuleSet;
import org.kmodkit.core.tree.Sysroot;

/**
 * Turns what a user names on a command line into core values: KERNEL arguments into one {@link
 * KernelAbi}, MODULE|DIR|PACKAGE arguments into {@link ModuleSet}s.
 */
public final class Inputs {
  private Inputs() {}

  /**
   * The kernel named by {@code args}: kernel packages (one or more .deb/.rpm), a symvers file, a
   * headers directory, or a release installed under {@code root} (the host when null).
   */
  public static KernelAbi kernel(List<String> args, Path root) throws BadInputException {
    if (args.isEmpty()) {
      throw new BadInputException("--kernel", "missing: name a Module.symvers or symvers-*.gz file, a headers directory, kernel packages, or a release with --root");
    }
    List<Path> paths = args.stream().map(Path::of).toList();
    if (root != null) {
      if (args.size() != 1) {
        throw new BadInputException("--kernel", "with --root, give exactly one kernel release (as in /lib/modules/<release>)");
      }
      if (!Files.isDirectory(root)) {
        throw new BadInputException(root.toString(), "is not a directory; --root takes the root of a system image");
      }
      return KernelAbiLoader.fromTree(new Sysroot(root), args.get(0));
    }
    if (paths.stream().allMatch(p -> Files.isRegularFile(p) && KernelPackages.isPackage(p))) {
      return KernelPackages.load(paths);
    }
    if (args.size() > 1) {
      throw new BadInputException(String.join(", ", args), "several --kernel values must all be packages of one kernel");
    }
    Path p = paths.get(0);
    if (!Files.exists(p) && !args.get(0).contains("/")) {
      Sysroot host = Sysroot.host();
      if (Files.isDirectory(host.modulesDir(args.get(0)))) {
        return KernelAbiLoader.fromTree(host, args.get(0));
      }
      throw new BadInputException(args.get(0), "is neither a file nor a kernel installed here (no " + host.modulesDir(args.get(0)) + "); pass a symvers file, headers directory, packages, or --root DIR");
    }
    return KernelAbiLoader.load(p);
  }

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
