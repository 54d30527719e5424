package org.kmodkit.cli.input;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.build.KernelTarget;
import org.kmodkit.core.tree.KernelAbiLoader;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.verify.VmKernel;

/**
 * What {@code --kernel} (with {@code --root}) names, read once by one grammar for every command
 * (docs/commands.md, "KERNEL"); each command then asks the question it needs: the ABI to judge
 * against ({@link #abi}), the build trees ({@link #buildTargets}), the image to boot ({@link
 * #bootImage}). A form that cannot answer says what to pass instead.
 */
public sealed interface KernelSpec permits KernelSpec.Release, KernelSpec.KernelFile, KernelSpec.HeadersDir, KernelSpec.Packages {
  /** The kernel's exported symbols, CRCs and release, as {@code check} judges against them. */
  KernelAbi abi() throws BadInputException;

  /** The kernel build trees {@code make -C} needs, as {@code rebuild} builds in them. */
  List<KernelTarget> buildTargets(KernelInputs inputs) throws KmodkitException;

  /** The image to boot and its module tree, as {@code verify} boots it; packages are unpacked into {@code scratch}. */
  VmKernel bootImage(Path scratch) throws BadInputException, EnvironmentException;

  /**
   * A release installed under {@code root}: the one --root names, else the host ({@code given}
   * false: the name was no file either, so a missing release says both).
   */
  record Release(Sysroot root, String release, boolean given) implements KernelSpec {
    @Override
    public KernelAbi abi() throws BadInputException {
      requireHere("a symvers file, a headers directory, kernel packages");
      return KernelAbiLoader.fromTree(root, release);
    }

    @Override
    public List<KernelTarget> buildTargets(KernelInputs inputs) throws KmodkitException {
      requireHere("a headers directory, kernel headers packages");
      return List.of(inputs.targets().installed(root, release));
    }

    @Override
    public VmKernel bootImage(Path scratch) throws BadInputException {
      requireHere("a vmlinuz, the kernel's image package");
      return VmKernel.installed(root, release);
    }

    private void requireHere(String files) throws BadInputException {
      if (!given && !Files.isDirectory(root.modulesDir(release))) {
        throw new BadInputException(release, "is neither a file nor a kernel installed here (no " + root.modulesDir(release) + "); pass " + files + ", or a release with --root DIR");
      }
    }
  }

  /**
   * A file: a symvers file (Module.symvers, symvers-*.gz) or a kernel image (vmlinuz, vmlinux);
   * its modules, when booted, come from {@code root} when given.
   */
  record KernelFile(Path path, Sysroot root) implements KernelSpec {
    @Override
    public KernelAbi abi() throws BadInputException {
      return KernelAbiLoader.load(path);
    }

    @Override
    public List<KernelTarget> buildTargets(KernelInputs inputs) throws BadInputException {
      throw new BadInputException(path.toString(), "is a file, not a kernel build tree; pass a headers directory, kernel headers packages, or a release installed here (or with --root DIR)");
    }

    @Override
    public VmKernel bootImage(Path scratch) throws BadInputException {
      return VmKernel.ofImage(path, root);
    }
  }

  /** A kernel headers (build) directory, holding Module.symvers; {@code arg} as the user wrote it. */
  record HeadersDir(Path dir, String arg) implements KernelSpec {
    @Override
    public KernelAbi abi() throws BadInputException {
      return KernelAbiLoader.load(dir);
    }

    @Override
    public List<KernelTarget> buildTargets(KernelInputs inputs) throws KmodkitException {
      return List.of(inputs.targets().headers(dir, arg));
    }

    @Override
    public VmKernel bootImage(Path scratch) throws BadInputException {
      throw new BadInputException(arg, "is a directory, not a kernel image; pass a vmlinuz, the kernel's image package, or a release with --root DIR");
    }
  }

  /** Kernel packages (.deb, .rpm): of one kernel for {@code check} and {@code verify}, of several for {@code rebuild}. */
  record Packages(List<Path> files) implements KernelSpec {
    public Packages {
      files = List.copyOf(files);
    }

    @Override
    public KernelAbi abi() throws BadInputException {
      return KernelPackages.load(files);
    }

    @Override
    public List<KernelTarget> buildTargets(KernelInputs inputs) throws KmodkitException {
      return inputs.fromPackages(files);
    }

    @Override
    public VmKernel bootImage(Path scratch) throws BadInputException, EnvironmentException {
      return VerifyInputs.fromPackages(files, scratch);
    }
  }

  /**
   * The kernels {@code args} name, in their order, the packages among them as one {@link
   * Packages} last. Each argument is, in this order: a package file; another file; with
   * {@code root}, a name without '/' is a release under it; a directory; a name without '/' that
   * is no file, a release installed here.
   */
  static List<KernelSpec> parse(List<String> args, Path root) throws BadInputException {
    if (args.isEmpty()) {
      throw new BadInputException("--kernel", "missing: name a symvers file, a headers directory, a vmlinuz, kernel packages, or a release (with --root DIR for an image tree)");
    }
    Sysroot under = null;
    if (root != null) {
      if (!Files.isDirectory(root)) {
        throw new BadInputException(root.toString(), "is not a directory; --root takes the root of a system image");
      }
      under = new Sysroot(root);
    }
    List<KernelSpec> out = new ArrayList<>();
    List<Path> packages = new ArrayList<>();
    for (String arg : args) {
      Path p = Path.of(arg);
      boolean name = !arg.contains("/");
      if (Files.isRegularFile(p) && KernelPackages.isPackage(p)) {
        packages.add(p);
      } else if (Files.exists(p) && !Files.isDirectory(p)) {
        out.add(new KernelFile(p, under)); // a pipe or device too: reading it refuses it by name
      } else if (under != null && name) {
        out.add(new Release(under, arg, true));
      } else if (Files.isDirectory(p)) {
        out.add(new HeadersDir(p, arg));
      } else if (name && !Files.exists(p)) {
        out.add(new Release(Sysroot.host(), arg, false));
      } else {
        throw new BadInputException(arg, "no such file or directory; pass a symvers file, a headers directory, a vmlinuz, kernel packages, or a release (with --root DIR)");
      }
    }
    if (!packages.isEmpty()) {
      out.add(new Packages(packages));
    }
    return out;
  }

  /** The one kernel {@code args} name (several arguments only as packages of it), for commands that judge one kernel. */
  static KernelSpec one(List<String> args, Path root) throws BadInputException {
    List<KernelSpec> specs = parse(args, root);
    if (specs.size() > 1) {
      throw new BadInputException(String.join(", ", args), "several --kernel values must all be packages of one kernel");
    }
    return specs.get(0);
  }
}
