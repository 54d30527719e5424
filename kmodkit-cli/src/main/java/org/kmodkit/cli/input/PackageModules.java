package org.kmodkit.cli.input;


import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.PackageReader;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.core.io.MemoryBudget;
import org.kmodkit.core.tree.ModuleFiles;

/** The modules a driver package installs: one module set, read straight from the package. */
public final class PackageModules {
  private PackageModules() {}

  /** Every module file in {@code pkg}, named {@code pkg:/lib/modules/…}; unreadable ones as errors. */
  public static List<ModuleFiles.Read> read(Path pkg) throws BadInputException {
    List<Future<ModuleFiles.Read>> out = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    MemoryBudget queue = KernelPackages.queueBudget();
    try {
      PackageReader.read(pkg, (entry, data) -> {
        if (entry.regular() && ModuleFiles.isModuleFileName(entry.path())) {
          String src = pkg + ":" + entry.path();
          out.add(KernelPackages.parseLater(pool, queue, src, data, ExpansionLimit.MODULE, bytes -> ModuleFiles.parse(Path.of(entry.path()), src, bytes)));
        }
      });
      List<ModuleFiles.Read> reads = new ArrayList<>();
      for (Future<ModuleFiles.Read> f : out) {
        reads.add(KernelPackages.get(f));
      }
      if (reads.isEmpty()) {
        throw new BadInputException(pkg.toString(), "installs no kernel modules (no *.ko, *.ko.xz, *.ko.zst, *.ko.gz); pass the driver's kmod package");
      }
      return reads;
    } finally {
      pool.shutdownNow();
    }
  }
}
