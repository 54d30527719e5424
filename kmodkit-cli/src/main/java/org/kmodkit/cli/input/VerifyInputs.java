package org.kmodkit.cli.input;

import org.kmodkit.formats.Extractor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.tree.ModuleFiles;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.verify.ModuleSource;
import org.kmodkit.core.verify.VerifySet;
import org.kmodkit.core.verify.VmKernel;

/**
 * What {@code kmodkit verify} is given, turned into files a VM can use: the kernel's image
 * packages unpacked into scratch space (the other forms of {@link KernelSpec#bootImage}), and the
 * module sets (directories, files, or packages unpacked into scratch space).
 */
public final class VerifyInputs {
  private VerifyInputs() {}

  /** The modules that could be read, as sets, and the inputs that could not. */
  public record Sets(List<VerifySet> sets, List<BadInputException> errors) {
    public Sets {
      sets = List.copyOf(sets);
      errors = List.copyOf(errors);
    }
  }

  /** Unpacks the kernel's image (and modules) from its packages into {@code scratch}. */
  static VmKernel fromPackages(List<Path> packages, Path scratch) throws BadInputException, EnvironmentException {
    Path dir = scratch.resolve("kernel");
    Extractor.unpackPackages(packages, dir, p -> p.startsWith(Sysroot.bootPath("")) || p.startsWith(Sysroot.modulesPath("")));
    Sysroot root = new Sysroot(dir);
    List<String> releases = new ArrayList<>();
    if (Files.isDirectory(root.modulesDir())) {
      try (Stream<Path> s = Files.list(root.modulesDir())) {
        s.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().forEach(releases::add);
      } catch (IOException e) {
        throw new EnvironmentException(root.modulesDir() + ": cannot list the unpacked packages (" + e.getMessage() + ")");
      }
    }
    String names = String.join(", ", packages.stream().map(Path::toString).toList());
    if (releases.size() > 1) {
      throw new BadInputException(names, "hold files of different kernels (" + String.join(", ", releases) + "); pass the packages of one kernel");
    }
    if (releases.isEmpty()) {
      throw new BadInputException(names, "install no kernel (no /lib/modules/<release>/); pass the kernel's image package (Debian linux-image-<release>, RHEL kernel-core)");
    }
    return VmKernel.installed(root, releases.get(0));
  }

  /**
   * One set per directory and per package, loose module files together as one more set (as {@code
   * kmodkit check} groups them). Package modules are unpacked into {@code scratch} and keep their
   * package names ({@code pkg:/lib/modules/…}).
   */
  public static Sets moduleSets(List<Path> args, Path scratch) throws EnvironmentException {
    List<VerifySet> sets = new ArrayList<>();
    List<BadInputException> errors = new ArrayList<>();
    List<Path> loose = new ArrayList<>();
    int pkgs = 0;
    for (Path p : args) {
      try {
        if (Files.isDirectory(p)) {
          add(sets, errors, p.toString(), ModuleFiles.readAll(ModuleFiles.find(p), Path::toString));
        } else if (Files.isRegularFile(p) && KernelPackages.isPackage(p)) {
          Path dir = scratch.resolve("modules-" + ++pkgs);
          List<String> written = Extractor.unpackPackages(List.of(p), dir, ModuleFiles::isModuleFileName);
          if (written.isEmpty()) {
            throw new BadInputException(p.toString(), "installs no kernel modules (no *.ko, *.ko.xz, *.ko.zst, *.ko.gz); pass the driver's kmod package");
          }
          List<ModuleFiles.Read> reads = new ArrayList<>();
          for (String installed : written) {
            reads.add(ModuleFiles.read(dir.resolve(installed.substring(1)), p + ":" + installed));
          }
          add(sets, errors, p.toString(), reads);
        } else if (Files.exists(p)) {
          loose.add(p); // a pipe or device too: reading it refuses it by name
        } else {
          throw new BadInputException(p.toString(), "no such file or directory; check the path");
        }
      } catch (BadInputException e) {
        errors.add(e);
      }
    }
    if (!loose.isEmpty()) {
      add(sets, errors, loose.size() == 1 ? loose.get(0).toString() : loose.size() + " modules", ModuleFiles.readAll(loose, Path::toString));
    }
    return new Sets(sets, errors);
  }

  private static void add(List<VerifySet> sets, List<BadInputException> errors, String name, List<ModuleFiles.Read> reads) {
    List<ModuleSource> ok = new ArrayList<>();
    for (ModuleFiles.Read r : reads) {
      if (r.ok()) {
        ok.add(new ModuleSource(r.module(), r.file()));
      } else {
        errors.add(r.error());
      }
    }
    if (!ok.isEmpty()) {
      sets.add(new VerifySet(name, ok));
    }
  }
}
