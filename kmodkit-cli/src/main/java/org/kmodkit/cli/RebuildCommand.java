package org.kmodkit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.cache.Cache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kmodkit rebuild --source SRC… --kernel K…}: every driver for every kernel, in parallel, checked. */
@Command(
    name = "rebuild",
    mixinStandardHelpOptions = true,
    description = {
      "Rebuild out-of-tree drivers for kernels, in parallel, each module checked against its kernel (and signed on request).",
      "SRC: a Kbuild source directory, a tarball of one, a DKMS tree (dkms.conf), a Debian *-dkms package, or a kmod source RPM (.src.rpm, built by rpmbuild with KVERSION and K_SRC).",
      "KERNEL: a release installed under --root (default /), a headers directory, or kernel headers packages",
      "(.deb: linux-headers-<release>, its -common and linux-kbuild taken from beside it; .rpm: kernel-devel), unpacked into the cache, never installed.",
      "Output: OUT/<release>/extra/<driver>/*.ko, OUT/logs/<release>/<driver>.log, OUT/report.json.",
      "Exit: 0 every build good (or skipped by dkms.conf), 1 a build failed or check rejects what it made, 2 bad input, 3 environment."
    })
final class RebuildCommand implements Callable<Integer> {
  private final Host host;

  RebuildCommand(Host host) {
    this.host = host;
  }

  @Spec CommandSpec spec;

  @Option(names = {"-s", "--source"}, required = true, paramLabel = "SRC", description = "A driver source (repeat for several).")
  List<Path> sources;

  @Mixin Options.Kernel kernel;

  @Mixin Options.Jobs jobs;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "kmodkit-rebuild", description = "Output tree (default: ${DEFAULT-VALUE}).")
  Path out;

  @Mixin Options.ModuleSigning signing;

  @Option(names = "--download", description = "Fetch what a headers .deb's Depends name and its folder lacks (-common, linux-kbuild) with apt-get download into the cache; without it kmodkit names the command and stops.")
  boolean download;

  @Option(names = "--dry-run", description = "Print the plan (every build, its commands and outputs; with --json as kmodkit.rebuild-plan/1) and build nothing.")
  boolean dryRun;

  @Option(names = "--keep-work", description = "Keep OUT/.work (build copies) even when every build succeeded.")
  boolean keepWork;

  @Mixin Options.Json json;

  @Override
  public Integer call() throws KmodkitException, InterruptedException {
    int n = jobs.slots();
    Path o = out.toAbsolutePath().normalize();
    if (!dryRun) {
      Rebuild.requireWritableDir(o, "--out");
    }
    Rebuild.Outcome outcome;
    try (Cache cache = new Cache(Rebuild.cacheDir())) {
      Rebuild.Request request = new Rebuild.Request(sources, kernel.all(), n, o, o.resolve(".work"), cache, signing, dryRun, keepWork, download);
      outcome = Rebuild.run(request, host.runner(), spec.commandLine().getErr());
    }
    if (dryRun && json.on()) {
      RebuildOutput.planJson(spec.commandLine().getOut(), outcome, n);
      return ExitCode.OK.code();
    }
    if (dryRun) {
      RebuildOutput.plan(spec.commandLine().getOut(), outcome);
      return ExitCode.OK.code();
    }
    ExitCode code = outcome.code();
    String report = RebuildOutput.json(outcome, code, Map.of());
    Path file = o.resolve("report.json");
    write(file, report);
    if (json.on()) {
      spec.commandLine().getOut().print(report);
    } else {
      RebuildOutput.text(spec.commandLine().getOut(), outcome, file);
    }
    return code.code();
  }

  static void write(Path file, String text) throws EnvironmentException {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new EnvironmentException(file + ": cannot write the report (" + e.getMessage() + "); check free space and permissions");
    }
  }
}
