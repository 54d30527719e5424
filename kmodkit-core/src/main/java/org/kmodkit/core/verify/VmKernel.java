package org.kmodkit.core.verify;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.tree.ModuleTree;
import org.kmodkit.core.tree.Sysroot;

/**
 * The kernel to boot: its image, its release, and the root holding its module tree (null for a
 * bare vmlinuz: then only the given modules go into the VM).
 */
public record VmKernel(Path image, String release, Sysroot root) {
  public VmKernel {
    if (!Files.isRegularFile(image)) {
      throw new IllegalArgumentException("no kernel image at " + image);
    }
  }

  /**
   * A vmlinuz file. Its modules come from {@code root} when given, else from the root the image
   * lies in when it is {@code <root>/boot/vmlinuz-*} beside {@code <root>/lib/modules/<release>}.
   */
  public static VmKernel ofImage(Path image, Sysroot root) throws BadInputException {
    if (!Files.isRegularFile(image)) {
      throw new BadInputException(image.toString(), "no such file; pass a vmlinuz, the kernel's image package, or a release with --root");
    }
    String release = BootHeader.release(image);
    if (root != null) {
      if (!Files.isDirectory(root.modulesDir(release))) {
        throw new BadInputException(root.modulesDir(release).toString(), "missing: " + image + " is kernel " + release + " but --root " + root.root() + " holds no modules for it (ls " + root.modulesDir() + ")");
      }
      return new VmKernel(image, release, root);
    }
    Path dir = image.toAbsolutePath().normalize().getParent();
    if (dir != null && dir.getFileName() != null && dir.getFileName().toString().equals("boot") && dir.getParent() != null) {
      Sysroot own = new Sysroot(dir.getParent());
      if (Files.isDirectory(own.modulesDir(release))) {
        return new VmKernel(image, release, own);
      }
    }
    return new VmKernel(image, release, null);
  }

  /** Kernel {@code release} installed under {@code root}: /boot/vmlinuz-R (Debian) or /lib/modules/R/vmlinuz (RHEL, Fedora). */
  public static VmKernel installed(Sysroot root, String release) throws BadInputException {
    for (String p : List.of(Sysroot.bootPath("vmlinuz-" + release), Sysroot.modulesPath(release, "vmlinuz"))) {
      Optional<Path> f = root.resolve(p);
      if (f.isPresent() && Files.isRegularFile(f.get())) {
        String inside = BootHeader.release(f.get());
        if (!inside.equals(release)) {
          throw new BadInputException(f.get().toString(), "is kernel " + inside + ", not " + release + "; check the image");
        }
        return new VmKernel(f.get(), release, root);
      }
    }
    throw new BadInputException(root.path(Sysroot.bootPath("vmlinuz-" + release)).toString(), "missing: kernel " + release + " has no image under " + root.root() + " (looked for " + Sysroot.bootPath("vmlinuz-" + release) + " and " + Sysroot.modulesPath(release, "vmlinuz") + "); install its image package or pass the vmlinuz");
  }

  /** The kernel's module tree, read once; none for a bare vmlinuz. */
  public ModuleTree tree() throws BadInputException {
    return root == null ? ModuleTree.none(release) : ModuleTree.read(root, release);
  }
}
