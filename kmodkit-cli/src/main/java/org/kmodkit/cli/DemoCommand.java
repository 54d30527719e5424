package org.kmodkit.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.cache.Cache;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.weak.HostSystemTools;
import org.kmodkit.core.weak.Plan;
import org.kmodkit.core.weak.Status;
import org.kmodkit.core.weak.WeakUpdates;
import org.kmodkit.formats.Extractor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kmodkit demo}: the status matrix on real kernels where the host has none (a container).
 * Four Debian bookworm cloud kernels (apt-get download into a cache, unpacked in-process by Extractor) form a
 * root; the mlx stack of 6.1.0-55 is installed under its extra/mlnx as a vendor package would;
 * weak-modules runs for every kernel; status shows the result.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Builds a demo root from real Debian kernels (6.1.0-53…56 cloud-amd64, fetched with apt-get download into a cache),",
      "installs 6.1.0-55's mlx stack as a vendor module set, links it where it fits (weak-modules) and prints status.",
      "Exit: 0 the demo ran (that 53 and 54 cannot load the stack is what it shows; `status` on such a host exits 1), 2 bad input (--debs), 3 environment (apt-get, depmod, disk space)."
    })
final class DemoCommand implements Callable<Integer> {
  static final List<Integer> ABIS = List.of(53, 54, 55, 56);
  static final int VENDOR_ABI = 55;
  static final Set<String> MLX = Set.of("ib_core", "ib_uverbs", "mlxfw", "mlx5_core", "mlx5_ib", "rdma_cm", "rdma_ucm");

  private final Host host;

  DemoCommand(Host host) {
    this.host = host;
  }

  @Spec CommandSpec spec;

  @Option(names = "--cache", paramLabel = "DIR", description = "Where the packages and the demo root live (default: demo in kmodkit's cache, see kmodkit cache list).")
  Path cache;

  @Option(names = "--debs", paramLabel = "DIR", description = "Take the kernel packages (linux-image-6.1.0-5x-cloud-amd64-unsigned_*.deb) from DIR instead of apt-get download.")
  Path debs;

  @Option(names = "--html", paramLabel = "FILE", description = "Also write the matrix as one self-contained HTML page.")
  Path html;

  @Mixin Options.Json json;

  static String release(int abi) {
    return "6.1.0-" + abi + "-cloud-amd64";
  }

  static String packageName(int abi) {
    return "linux-image-" + release(abi) + "-unsigned";
  }

  @Override
  public Integer call() throws KmodkitException {
    try (Cache kmodkitCache = new Cache(Rebuild.cacheDir())) {
      Path dir = cache;
      if (dir == null) { // kmodkit's own cache: the demo root is an entry of it, in use while the demo runs
        dir = kmodkitCache.root().resolve("demo");
        kmodkitCache.use(dir);
      }
      return run(prepare(dir));
    }
  }

  private int run(Path root) throws KmodkitException {
    var err = spec.commandLine().getErr();
    err.println("kmodkit demo: root " + root + " (Debian kernels " + String.join(", ", ABIS.stream().map(DemoCommand::release).toList()) + "; "
        + release(VENDOR_ABI) + "'s mlx stack installed as the vendor set extra/mlnx); linking where it fits");
    Sysroot sysroot = new Sysroot(root);
    WeakUpdates weak = new WeakUpdates(sysroot, new HostSystemTools(host.runner()));
    WeakUpdates.Result r = weak.run(WeakUpdates.Request.all(), false, false);
    Plan plan = weak.plan(weak.inventory(), WeakUpdates.Request.all());
    Status status = Status.of(weak.inventory(), plan);
    if (html != null) {
      HtmlOutput.write(html, sysroot, status);
    }
    var out = spec.commandLine().getOut();
    if (json.on()) {
      JsonOutput.status(out, sysroot, status);
    } else {
      TextOutput.status(out, sysroot, status);
      out.println();
      out.println("linked now: " + (r.outcome().switched().isEmpty() ? "nothing new" : String.join(", ", r.outcome().switched())) + "; look closer with: kmodkit status --root " + root + " [--html FILE]");
      if (html != null) {
        out.println("wrote " + html);
      }
      long attention = status.kernels().stream().filter(k -> status.sets().stream().anyMatch(set -> StatusCommand.needsAttention(status.cell(set, k)))).count();
      out.println("demo done: " + (attention == 0 ? "every kernel loads every set" : attention + " of " + status.kernels().size() + " kernels cannot load a set (kmodkit status exits 1 on such a host)") + "; the demo itself succeeded");
    }
    return ExitCode.OK.code(); // a demo that ran has succeeded, whatever the matrix shows
  }

  /** The demo root, made once per cache (unpacked beside it, then renamed into place). */
  Path prepare(Path dir) throws BadInputException, EnvironmentException {
    Path root = dir.resolve("root");
    if (Files.isRegularFile(root.resolve(".kmodkit-demo"))) {
      return root;
    }
    try {
      Files.createDirectories(dir);
      List<Path> pkgs = new ArrayList<>();
      for (int abi : ABIS) {
        pkgs.add(debOf(dir, abi));
      }
      Path tmp = dir.resolve("root.tmp");
      deleteTree(tmp);
      Extractor.unpackPackages(pkgs, tmp, path -> true);
      Path kernel = new Sysroot(tmp).modulesDir(release(VENDOR_ABI)).resolve("kernel");
      Path vendor = Files.createDirectories(new Sysroot(tmp).modulesDir(release(VENDOR_ABI)).resolve("extra/mlnx"));
      try (Stream<Path> s = Files.walk(kernel)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          String n = p.getFileName().toString();
          if (n.endsWith(".ko") && MLX.contains(n.substring(0, n.length() - 3))) {
            Files.copy(p, vendor.resolve(n)); // a copy, as a vendor package installs its own build
          }
        }
      }
      Files.writeString(tmp.resolve(".kmodkit-demo"), "kmodkit demo root\n");
      deleteTree(root);
      Files.move(tmp, root, StandardCopyOption.ATOMIC_MOVE);
      return root;
    } catch (IOException e) {
      throw new EnvironmentException("cannot prepare the demo root in " + dir + " (" + e.getMessage() + "); pass --cache DIR on a writable disk with ~1 GB free", e);
    }
  }

  /** The image package of {@code abi}: from --debs, from the cache, or fetched with apt-get download into it. */
  Path debOf(Path dir, int abi) throws BadInputException, EnvironmentException, IOException {
    String prefix = packageName(abi) + "_";
    for (Path d : debs != null ? List.of(debs) : List.of(dir)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, prefix + "*.deb")) {
        for (Path p : ds) {
          return p;
        }
      } catch (java.nio.file.NoSuchFileException e) {
        throw new BadInputException(d.toString(), "no such directory; pass --debs DIR holding " + prefix + "*.deb");
      }
    }
    if (debs != null) {
      throw new BadInputException(debs.toString(), "holds no " + prefix + "*.deb; download it with: apt-get download " + packageName(abi));
    }
    try {
      List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
      ProcessRunner.Result r = host.runner().run(ProcessRunner.Command.of("apt-get", "download", packageName(abi)).withDir(dir).withTimeout(Duration.ofSeconds(900)).withLines(said::add));
      if (r.exitCode() != 0) {
        throw new EnvironmentException("apt-get download " + packageName(abi) + " failed (" + said.stream().map(String::strip).filter(l -> !l.isEmpty()).reduce((a, b) -> b).orElse("") + "); run apt-get update, or pass --debs DIR holding the package");
      }
    } catch (IOException e) {
      throw new EnvironmentException("cannot run apt-get (" + e.getMessage() + "); on a host without it pass --debs DIR holding " + prefix + "*.deb", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EnvironmentException("interrupted while downloading " + packageName(abi), e);
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, prefix + "*.deb")) {
      for (Path p : ds) {
        return p;
      }
    }
    throw new EnvironmentException("apt-get download " + packageName(abi) + " left no " + prefix + "*.deb in " + dir);
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
