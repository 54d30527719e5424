package org.kmodkit.packaging;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.cache.Cache;
import org.kmodkit.core.build.KernelTarget;
import org.kmodkit.core.build.KernelTargets;
import org.kmodkit.core.tree.Sysroot;

/**
 * --kernel arguments of {@code kmodkit rebuild} as kernels to build for: releases installed under
 * --root (or here), headers directories, and kernel headers packages. Packages are unpacked once
 * into the cache (a root per set of packages, keyed by their content), never installed.
 */
public final class KernelInputs {
  private final KernelTargets targets;
  private final Cache cache;
  private boolean unpacked;

  /**
   * @param cache kmodkit's cache (headers copies and unpacked packages go below it); the entries
   *     used stay in use until it is closed
   */
  public KernelInputs(Cache cache) {
    this.cache = cache;
    this.targets = new KernelTargets(cache);
  }

  /** Whether a call unpacked packages into a new cache entry (the cache grew). */
  public boolean unpacked() {
    return unpacked;
  }

  public List<KernelTarget> kernels(List<String> args, Path root) throws KmodkitException {
    if (args.isEmpty()) {
      throw new BadInputException("--kernel", "missing: name a kernel release (with --root), a headers directory, or kernel headers packages");
    }
    List<KernelTarget> out = new ArrayList<>();
    if (root != null) {
      if (!Files.isDirectory(root)) {
        throw new BadInputException(root.toString(), "is not a directory; --root takes the root of a system image");
      }
      for (String release : args) {
        out.add(targets.installed(new Sysroot(root), release));
      }
      return out;
    }
    List<Path> packages = new ArrayList<>();
    for (String arg : args) {
      Path p = Path.of(arg);
      if (Files.isDirectory(p)) {
        out.add(targets.headers(p, arg));
      } else if (Files.isRegularFile(p) && KernelPackages.isPackage(p)) {
        packages.add(p);
      } else if (!Files.exists(p) && !arg.contains("/")) {
        out.add(targets.installed(Sysroot.host(), arg));
      } else {
        throw new BadInputException(arg, "is neither a headers directory, a kernel package, nor a release installed here; pass one of those (or --root DIR with releases)");
      }
    }
    if (!packages.isEmpty()) {
      out.addAll(fromPackages(packages));
    }
    return out;
  }

  /** Unpacks the headers in {@code packages} (once: cached by content) and finds their kernels. */
  List<KernelTarget> fromPackages(List<Path> packages) throws KmodkitException {
    Path root = cache.root().resolve("kernels").resolve(digest(packages));
    Path done = root.resolve(".kmodkit-unpacked");
    cache.use(root);
    if (!Files.isRegularFile(done)) {
      try {
        BuildRunner.deleteTree(root);
        Extractor.unpackPackages(packages, root, path -> path.startsWith("/usr/src/") || path.startsWith("/usr/lib/linux-kbuild-"));
        Files.writeString(done, String.join("\n", packages.stream().map(Path::toString).toList()) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        cache.touch(root);
        unpacked = true;
      } catch (IOException e) {
        throw new EnvironmentException(root + ": cannot unpack the kernel packages into the cache (" + e.getMessage() + "); check free space and KMODKIT_CACHE", e);
      }
    }
    Sysroot sysroot = new Sysroot(root);
    List<KernelTarget> out = new ArrayList<>();
    String origin = packages.size() == 1 ? packages.get(0).toString() : packages.size() + " packages";
    for (Path headers : headerDirs(root)) {
      out.add(targets.extracted(sysroot, headers, origin + " (" + headers.getFileName() + ")"));
    }
    if (out.isEmpty()) {
      throw new BadInputException(String.join(", ", packages.stream().map(Path::toString).toList()),
          "hold no kernel build directory (no /usr/src/linux-headers-<release>/Module.symvers or /usr/src/kernels/<release>/Module.symvers); pass linux-headers-<release>, linux-headers-<abi>-common and linux-kbuild-<version> (Debian) or kernel-devel (RHEL)");
    }
    return out;
  }

  private static List<Path> headerDirs(Path root) throws BadInputException {
    List<Path> out = new ArrayList<>();
    for (Path parent : List.of(root.resolve("usr/src"), root.resolve("usr/src/kernels"))) {
      if (!Files.isDirectory(parent)) {
        continue;
      }
      try (Stream<Path> s = Files.list(parent)) {
        s.filter(d -> Files.isRegularFile(d.resolve("Module.symvers")) && Files.isRegularFile(d.resolve("Makefile"))).sorted().forEach(out::add);
      } catch (IOException | UncheckedIOException e) {
        throw new BadInputException(parent.toString(), "cannot list (" + e.getMessage() + ")");
      }
    }
    return out;
  }

  private static String digest(List<Path> packages) throws BadInputException {
    try {
      MessageDigest all = MessageDigest.getInstance("SHA-256");
      for (Path p : packages.stream().sorted().toList()) {
        MessageDigest one = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(p)) {
          byte[] buf = new byte[1 << 16];
          for (int n; (n = in.read(buf)) > 0; ) {
            one.update(buf, 0, n);
          }
        } catch (IOException e) {
          throw new BadInputException(p.toString(), "cannot read (" + e.getMessage() + ")");
        }
        all.update(one.digest());
      }
      return HexFormat.of().formatHex(all.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
