package org.kmodkit.cli.input;

import org.kmodkit.formats.Extractor;

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
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.cache.Cache;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.build.KernelTarget;
import org.kmodkit.core.build.KernelTargets;
import org.kmodkit.core.tree.Sysroot;

/**
 * {@link KernelSpec}s as kernels to build for (rebuild, add-kernel-support): releases installed
 * under --root (or here), headers directories, and kernel headers packages. Packages are unpacked
 * once into the cache (a root per set of packages, keyed by their content), never installed.
 */
public final class KernelInputs {
  /** Fetches Debian packages by name ({@code name} or {@code name=version}) into a directory. */
  @FunctionalInterface
  public interface Download {
    void fetch(List<String> requests, Path dir) throws KmodkitException;
  }

  private final KernelTargets targets;
  private final Cache cache;
  private final HeadersSiblings siblings;
  private boolean unpacked;

  /**
   * @param cache kmodkit's cache (headers copies, unpacked and downloaded packages go below it); the
   *     entries used stay in use until it is closed
   * @param download how a headers package's missing -common and kbuild siblings are fetched; null: they are named, not fetched
   * @param say where the siblings taken are named (stderr)
   */
  public KernelInputs(Cache cache, Download download, Consumer<String> say) {
    this.cache = cache;
    this.targets = new KernelTargets(cache);
    this.siblings = new HeadersSiblings(cache.root().resolve("debs"), download, say);
  }

  /** Whether a call unpacked packages into a new cache entry (the cache grew). */
  public boolean unpacked() {
    return unpacked;
  }

  /**
   * {@code apt-get download} run by {@code runner} in the directory, its output in apt-get.log
   * there: apt puts what the host's sources serve, a version pinned with {@code name=version}.
   */
  public static Download aptGet(ProcessRunner runner) {
    return (requests, dir) -> {
      List<String> argv = new ArrayList<>(List.of("apt-get", "download"));
      argv.addAll(requests);
      String command = String.join(" ", argv);
      Path log = dir.resolve("apt-get.log");
      int rc;
      try {
        Files.createDirectories(dir);
        rc = runner.run(ProcessRunner.Command.of(argv).withDir(dir).withLog(log)).exitCode();
      } catch (IOException e) {
        throw new EnvironmentException(dir + ": cannot run " + command + " here (" + e.getMessage() + "); is apt-get installed? else put the packages beside the headers package");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new EnvironmentException(command + ": interrupted");
      }
      if (rc != 0) {
        throw new EnvironmentException(command + " failed (exit " + rc + "; " + lastLine(log) + "); check the names and your apt sources (apt-get update), or put the packages beside the headers package");
      }
    };
  }

  private static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
      return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1).strip();
    } catch (IOException | UncheckedIOException e) {
      return "see " + log;
    }
  }

  /** The kernel build trees {@code specs} name, in their order (docs/commands.md, "KERNEL"). */
  public List<KernelTarget> kernels(List<KernelSpec> specs) throws KmodkitException {
    List<KernelTarget> out = new ArrayList<>();
    for (KernelSpec spec : specs) {
      out.addAll(spec.buildTargets(this));
    }
    return out;
  }

  KernelTargets targets() {
    return targets;
  }

  /** Unpacks the headers in {@code packages} (once: cached by content) and finds their kernels. */
  List<KernelTarget> fromPackages(List<Path> given) throws KmodkitException {
    List<Path> packages = siblings.complete(given);
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
    String origin = given.size() == 1 ? given.get(0).toString() : given.size() + " packages";
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
