package org.kmodkit.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.io.OutputFiles;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.build.KernelTarget;
import org.kmodkit.core.cache.Cache;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.cli.input.Bundle;
import org.kmodkit.cli.input.BundleSearch;
import org.kmodkit.cli.input.KernelSpec;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.repo.PackagePlanner;
import org.kmodkit.repo.Shipment;
import org.kmodkit.formats.Tarball;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kmodkit add-kernel-support --bundle DIR|TGZ --kernel K…}: MLNX's
 * mlnx_add_kernel_support.sh for any driver bundle — every driver rebuilt for K into
 * {@code <tmpdir>/<name>-<version>-<distro>-<arch>-ext/}.
 */
@Command(
    name = "add-kernel-support",
    mixinStandardHelpOptions = true,
    description = {
      "Rebuild a driver bundle for new kernels, as mlnx_add_kernel_support.sh does, into <tmpdir>/<name>-<version>-<distro>-<arch>-ext/:",
      "the modules, signed packages (RPMS/ or DEBS/: kmod packages and <name>-kernel-only), a signed repository and install-kernel-only.sh for nodes; --make-tgz also packs it as one .tgz.",
      "BUNDLE: a directory (or tarball) of driver sources with a kmodkit-bundle.conf manifest (docs/commands.md), one DKMS tree, or a vendor bundle as it ships (DEBS/, SRPMS/, src/*.tgz …: searched, docs/bundles.md).",
      "KERNEL: as for rebuild: a release (with --root), a headers directory, or headers packages.",
      "Exit: 0 every driver rebuilt and checked, 1 a build failed, 2 bad input, 3 environment."
    })
final class AddKernelSupportCommand implements Callable<Integer> {
  private final Host host;

  AddKernelSupportCommand(Host host) {
    this.host = host;
  }

  @Spec CommandSpec spec;

  @Option(names = {"-m", "--bundle"}, required = true, paramLabel = "DIR|TGZ", description = "The driver bundle.")
  String bundle;

  @Mixin Options.Kernel kernel;

  @Option(names = {"-t", "--tmpdir"}, paramLabel = "DIR", defaultValue = "/tmp", description = "Where the -ext directory goes (default: ${DEFAULT-VALUE}).")
  Path tmpdir;

  @Option(names = "--kmp", description = "Build one kernel module package (KMP) for the first kernel, reaching the others through weak-updates; without it, one kmod package per kernel.")
  boolean kmp;

  @Option(names = "--format", paramLabel = "FMT", description = "Packages to build: rpm, deb or both (default: deb on Debian/Ubuntu, else rpm).")
  Shipment.Format format;

  @Option(names = "--skip-repo", description = "Build the packages but no repository metadata and no install script.")
  boolean skipRepo;

  @Option(names = "--make-tgz", description = "Also write <tmpdir>/<name>-<version>-<distro>-<arch>-ext.tgz (the -ext directory as one file).")
  boolean makeTgz;

  @Mixin Options.PgpKey pgpKey;

  @Option(names = "--repo-name", paramLabel = "NAME", description = "Repository name on nodes (default: <bundle name>).")
  String repoName;

  @Option(names = "--download", description = "As for rebuild: fetch a headers .deb's missing -common/linux-kbuild siblings with apt-get download.")
  boolean download;

  @Option(names = {"-y", "--yes"}, description = "Replace an existing -ext directory instead of refusing (kmodkit never prompts).")
  boolean yes;

  @Mixin Options.Jobs jobs;

  @Mixin Options.ModuleSigning signing;

  @Mixin Options.Json json;

  @Override
  public Integer call() throws KmodkitException, InterruptedException {
    var err = spec.commandLine().getErr();
    int n = jobs.slots();
    List<KernelSpec> kernels = kernel.all();
    Path tmp = tmpdir.toAbsolutePath().normalize();
    Rebuild.requireWritableDir(tmp, "--tmpdir");
    Path scratch = OutputFiles.createTempDirectory(tmp, ".kmodkit-bundle-");
    try (Cache cache = new Cache(Rebuild.cacheDir())) {
      Bundle b = Bundle.open(bundle, scratch);
      Rebuild.Request probe = new Rebuild.Request(b.drivers(), kernels, n, scratch, scratch, cache, signing, false, false, download);
      List<KernelTarget> targets = Rebuild.kernels(probe, host.runner(), err);
      String arch = b.arch().orElse(arch(targets));
      String distro = b.distro().orElse(Bundle.distro(Sysroot.host()));
      Path ext = tmp.resolve(b.extName(distro, arch));
      if (Files.exists(ext)) {
        if (!yes) {
          throw new BadInputException(ext.toString(), "exists already; pass -y to replace it, or another --tmpdir");
        }
        deleteTree(ext);
      }
      OutputFiles.createDirectories(ext);
      Rebuild.Request request = new Rebuild.Request(b.drivers(), kernels, n, ext, ext.resolve(".work"), cache, signing, false, false, download);
      Rebuild.Outcome outcome = Rebuild.run(request, targets, host.runner(), err);
      ExitCode code = outcome.code();
      List<String> releases = targets.stream().map(KernelTarget::release).toList();
      RebuildCommand.write(ext.resolve(Bundle.MANIFEST), b.manifestFor(releases));
      // MLNX's bundles list the kernels they carry modules for in .supported_kernels
      RebuildCommand.write(ext.resolve(".supported_kernels"), String.join("\n", releases) + "\n");
      Map<String, String> extra = new LinkedHashMap<>();
      extra.put("bundle", b.name());
      extra.put("bundle_version", b.version());
      extra.put("distro", distro);
      extra.put("arch", arch);
      extra.put("ext_dir", ext.toString());
      extra.put("kmp", kmp ? "yes" : "no");
      Shipment.Result shipped = null;
      if (code == ExitCode.OK) {
        shipped = ship(b, ext, distro, err);
        extra.put("packages", String.join(" ", shipped.packages().stream().map(p -> ext.relativize(p).toString()).toList()));
        extra.put("repository", skipRepo ? "skipped" : String.join(" ", shipped.repos().stream().map(r -> ext.relativize(r.dir()).toString()).toList()));
        if (shipped.installScript() != null) {
          extra.put("install_script", ext.relativize(shipped.installScript()).toString());
        }
      } else {
        err.println("kmodkit: a build failed: no packages made; fix it (see the logs) and run again");
      }
      String report = RebuildOutput.json(outcome, code, extra, searched(b.search()));
      Path reportFile = ext.resolve("report.json");
      RebuildCommand.write(reportFile, report);
      if (json.on()) {
        spec.commandLine().getOut().print(report);
      } else {
        var o = spec.commandLine().getOut();
        b.search().found().forEach(f -> o.println("found   " + f.where() + ": " + f.kind() + " (driver " + f.driver() + ")"));
        b.search().skipped().forEach(s -> o.println("skipped " + s.where() + ": " + s.why()));
        spec.commandLine().getOut().println("bundle " + b.name() + " " + b.version() + " for " + String.join(", ", releases) + ": " + ext);
        RebuildOutput.text(spec.commandLine().getOut(), outcome, reportFile);
        if (shipped != null) {
          shipped.packages().forEach(p -> o.println("package " + p));
          shipped.repos().forEach(r -> o.println("repository " + r.dir() + " (" + r.packages() + " packages)"));
          if (shipped.installScript() != null) {
            o.println("on each node: " + shipped.installScript() + " [BASEURL]   (installs " + b.packageName() + "-kernel-only)");
          }
        }
      }
      if (shipped != null && makeTgz) {
        Path tgz = tmp.resolve(ext.getFileName() + ".tgz");
        Tarball.write(ext, tgz, java.util.Set.of(".work"));
        spec.commandLine().getOut().println("bundle " + tgz);
      }
      return code.code();
    } finally {
      deleteTree(scratch);
    }
  }

  private static void deleteTree(Path dir) throws EnvironmentException {
    try {
      BuildRunner.deleteTree(dir);
    } catch (java.io.IOException e) {
      throw OutputFiles.cannotWrite(dir, e);
    }
  }

  private Shipment.Result ship(Bundle b, Path ext, String distro, java.io.PrintWriter err) throws KmodkitException {
    Shipment.Format f = format != null ? format : (distro.startsWith("debian") || distro.startsWith("ubuntu") ? Shipment.Format.DEB : Shipment.Format.RPM);
    OpenPgpSigner signer = PackageCommand.signer(pgpKey.key);
    if (signer == null) {
      signer = OpenPgpSigner.generate(b.name() + " bundle " + b.version() + " (one-time key made by kmodkit)", 3072);
      err.println("kmodkit: no --pgp-key: packages and repository signed with a one-time key " + signer.keyId() + " (its public half is in the bundle); give your cluster's key with --pgp-key");
    }
    PackagePlanner plan = PackagePlanner.scan(new PackagePlanner.Request(b.packageName(), b.version(), null, kmp, null, null, PackageCommand.buildTime()), ext);
    return Shipment.write(plan, f, ext, signer, !skipRepo, repoName != null ? repoName : b.packageName(), b.packageName());
  }

  /** What the search of a bundle without manifest found and skipped, for the report (docs/bundles.md). */
  private static Map<String, List<Map<String, String>>> searched(BundleSearch.Result r) {
    if (r.found().isEmpty()) {
      return Map.of();
    }
    Map<String, List<Map<String, String>>> t = new LinkedHashMap<>();
    t.put("bundle_found", r.found().stream().map(f -> row("where", f.where(), "kind", f.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), "driver", f.driver())).toList());
    t.put("bundle_skipped", r.skipped().stream().map(s -> row("where", s.where(), "why", s.why())).toList());
    return t;
  }

  private static Map<String, String> row(String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  static String arch(List<KernelTarget> kernels) throws BadInputException {
    List<String> archs = kernels.stream().map(KernelTarget::arch).distinct().toList();
    if (archs.size() != 1) {
      throw new BadInputException("--kernel", "kernels of several architectures (" + String.join(", ", archs) + ") cannot share one -ext directory; run once per architecture");
    }
    return archs.get(0);
  }
}
