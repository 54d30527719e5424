package org.kmodkit.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.build.KernelTarget;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.packaging.Bundle;
import picocli.CommandLine.Command;
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
      "Rebuild a driver bundle for new kernels, as mlnx_add_kernel_support.sh does, into <tmpdir>/<name>-<version>-<distro>-<arch>-ext/.",
      "BUNDLE: a directory (or tarball) of driver sources with a kmodkit-bundle.conf manifest (README.md), or one DKMS tree.",
      "K: as for rebuild: a release (with --root), a headers directory, or headers packages.",
      "Exit: 0 every driver rebuilt and checked, 1 a build failed, 2 bad input, 3 environment."
    })
final class AddKernelSupportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-m", "--bundle"}, required = true, paramLabel = "DIR|TGZ", description = "The driver bundle.")
  String bundle;

  @Option(names = {"-k", "--kernel"}, required = true, paramLabel = "K", description = "A kernel to add (repeat).")
  List<String> kernels;

  @Option(names = "--root", paramLabel = "DIR", description = "System root holding lib/modules/<release>/build; --kernel then names releases.")
  Path root;

  @Option(names = {"-t", "--tmpdir"}, paramLabel = "DIR", defaultValue = "/tmp", description = "Where the -ext directory goes (default: ${DEFAULT-VALUE}).")
  Path tmpdir;

  @Option(names = "--kmp", description = "Ask for kernel module packages (KMP/kmod). Not built yet: this run produces the module tree; packages and a repository come with a later kmodkit release.")
  boolean kmp;

  @Option(names = {"-y", "--yes"}, description = "Replace an existing -ext directory instead of refusing (kmodkit never prompts).")
  boolean yes;

  @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "Job slots (default: the number of cores).")
  Integer jobs;

  @Option(names = "--sign-key", paramLabel = "KEY", description = "PEM private key to sign every module with.")
  Path signKey;

  @Option(names = "--sign-cert", paramLabel = "CERT", description = "Its X.509 certificate (PEM or DER).")
  Path signCert;

  @Option(names = "--sign-hash", paramLabel = "HASH", defaultValue = "sha256", description = "sha256 (default), sha384 or sha512.")
  String signHash;

  @Option(names = "--json", description = "Print the report as JSON (kmodkit.rebuild/1 with bundle fields).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    var err = spec.commandLine().getErr();
    int n = jobs == null ? Runtime.getRuntime().availableProcessors() : jobs;
    Path tmp = tmpdir.toAbsolutePath().normalize();
    Rebuild.requireWritableDir(tmp, "--tmpdir");
    Path scratch = Files.createTempDirectory(tmp, ".kmodkit-bundle-");
    try {
      Bundle b = Bundle.open(bundle, scratch);
      Rebuild.Request probe = new Rebuild.Request(b.drivers(), kernels, root, n, scratch, scratch, Rebuild.cacheDir(), signKey, signCert, signHash, false, false);
      List<KernelTarget> targets = Rebuild.kernels(probe);
      String arch = b.arch().orElse(arch(targets));
      String distro = b.distro().orElse(Bundle.distro(Sysroot.host()));
      Path ext = tmp.resolve(b.extName(distro, arch));
      if (Files.exists(ext)) {
        if (!yes) {
          throw new BadInputException(ext.toString(), "exists already; pass -y to replace it, or another --tmpdir");
        }
        BuildRunner.deleteTree(ext);
      }
      Files.createDirectories(ext);
      if (kmp) {
        err.println("kmodkit: --kmp: kernel module packages are not built yet; " + ext + " holds the rebuilt modules (packages and a repository come with a later kmodkit release)");
      }
      Rebuild.Request request = new Rebuild.Request(b.drivers(), kernels, root, n, ext, ext.resolve(".work"), Rebuild.cacheDir(), signKey, signCert, signHash, false, false);
      Rebuild.Outcome outcome = Rebuild.run(request, targets, err);
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
      extra.put("kmp", kmp ? "requested; not built yet" : "no");
      String report = RebuildOutput.json(outcome, code, extra);
      Path reportFile = ext.resolve("report.json");
      RebuildCommand.write(reportFile, report);
      if (json) {
        spec.commandLine().getOut().print(report);
      } else {
        spec.commandLine().getOut().println("bundle " + b.name() + " " + b.version() + " for " + String.join(", ", releases) + ": " + ext);
        RebuildOutput.text(spec.commandLine().getOut(), outcome, reportFile);
      }
      return code.code();
    } finally {
      BuildRunner.deleteTree(scratch);
    }
  }

  static String arch(List<KernelTarget> kernels) throws BadInputException {
    List<String> archs = kernels.stream().map(KernelTarget::arch).distinct().toList();
    if (archs.size() != 1) {
      throw new BadInputException("--kernel", "kernels of several architectures (" + String.join(", ", archs) + ") cannot share one -ext directory; run once per architecture");
    }
    return archs.get(0);
  }
}
