package org.kmodkit.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.build.BuildPlan;
import org.kmodkit.core.build.BuildPlanner;
import org.kmodkit.core.build.BuildReport;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.build.DriverSource;
import org.kmodkit.core.build.FifoJobServer;
import org.kmodkit.core.build.KernelTarget;
import org.kmodkit.core.build.ModuleSigner;
import org.kmodkit.core.build.Toolchain;
import org.kmodkit.core.cache.Cache;
import org.kmodkit.core.host.ProcessRunner;
import org.kmodkit.cli.input.DriverInputs;
import org.kmodkit.formats.Extractor;
import org.kmodkit.cli.input.KernelInputs;
import org.kmodkit.cli.input.KernelSpec;
import org.kmodkit.formats.sign.KernelModuleSigner;

/** What rebuild and add-kernel-support share: inputs to plan, plan to builds, builds to a report. */
final class Rebuild {
  /**
   * One run.
   *
   * @param work scratch space (build copies, unpacked sources); removed after a run without failures unless keepWork
   * @param cache kmodkit's cache (unpacked kernel packages, prepared headers, downloaded headers packages); the entries a run uses stay in use until it is closed
   * @param download fetch a headers .deb's missing -common/kbuild siblings with apt-get download (else name them and stop)
   */
  record Request(List<Path> sources, List<KernelSpec> kernels, int jobs, Path out, Path work, Cache cache,
      Options.ModuleSigning signing, boolean dryRun, boolean keepWork, boolean download) {}

  /** The plan, and the report unless it was a dry run. */
  record Outcome(List<DriverSource> drivers, List<KernelTarget> kernels, BuildPlan plan, BuildReport report, ModuleSigner signer, double cpuSeconds) {
    ExitCode code() {
      return report == null || report.ok() ? ExitCode.OK : ExitCode.INCOMPATIBLE;
    }
  }

  private Rebuild() {}

  /** Runs programs (make, rpmbuild, apt-get, mkfifo) through RUNNER: the command's Host's, faked in tests. */
  static Outcome run(Request r, ProcessRunner runner, PrintWriter err) throws KmodkitException, InterruptedException {
    return run(r, kernels(r, runner, err), runner, err);
  }

  /** The kernels to build for; when packages were unpacked for them, the cache is kept within its bound. */
  static List<KernelTarget> kernels(Request r, ProcessRunner runner, PrintWriter err) throws KmodkitException {
    KernelInputs.Download download = r.download() ? KernelInputs.aptGet(runner) : null;
    KernelInputs inputs = new KernelInputs(r.cache(), download, line -> {
      err.println(line);
      err.flush();
    });
    List<KernelTarget> kernels = inputs.kernels(r.kernels());
    if (inputs.unpacked()) {
      CacheCommand.keepWithinBound(r.cache(), err);
    }
    return kernels;
  }

  /** A run for kernels already found (add-kernel-support needs their arch before it names its output). */
  static Outcome run(Request r, List<KernelTarget> kernels, ProcessRunner runner, PrintWriter err) throws KmodkitException, InterruptedException {
    KernelModuleSigner signer = signer(r);
    List<DriverSource> drivers = new ArrayList<>();
    if (r.dryRun()) {
      // a dry run writes nothing outside the cache: archives are unpacked there, for the plan only
      Path scratch = r.cache().root().resolve("dry-run-" + ProcessHandle.current().pid());
      try {
        for (Path s : r.sources()) {
          drivers.add(DriverInputs.source(s.toString(), scratch));
        }
        sayConfinement(drivers, err);
        return new Outcome(drivers, kernels, BuildPlanner.plan(drivers, kernels, new BuildPlanner.Layout(r.work(), r.out())), null, signer, cpuSeconds());
      } finally {
        try {
          BuildRunner.deleteTree(scratch);
        } catch (IOException e) {
          err.println("kmodkit: could not remove " + scratch + " (" + e.getMessage() + "); remove it by hand");
        }
      }
    }
    for (Path s : r.sources()) {
      drivers.add(DriverInputs.source(s.toString(), r.work()));
    }
    sayConfinement(drivers, err);
    BuildPlan plan = BuildPlanner.plan(drivers, kernels, new BuildPlanner.Layout(r.work(), r.out()));
    Toolchain toolchain = new Toolchain(System.getenv("PATH"));
    toolchain.require(kernels);
    toolchain.requireFor(drivers);
    int builds = plan.builds().size();
    err.println("kmodkit: rebuilding " + drivers.size() + (drivers.size() == 1 ? " driver" : " drivers") + " for " + kernels.size() + (kernels.size() == 1 ? " kernel" : " kernels")
        + ": " + builds + (builds == 1 ? " build" : " builds") + " on " + RebuildOutput.jobSlots(r.jobs()) + (plan.items().size() > builds ? ", " + (plan.items().size() - builds) + " skipped by dkms.conf" : "")
        + "; logs in " + r.out().resolve("logs"));
    BuildReport report;
    try (FifoJobServer jobServer = FifoJobServer.create(r.work(), runner);
        ProgressDisplay progress = new ProgressDisplay(err)) {
      report = new BuildRunner(runner, jobServer, r.jobs(), progress, signer, BuildRunner.AbiSource.standard(),
          (packages, dest) -> Extractor.unpackPackages(packages, dest, path -> path.endsWith(".ko"))).run(plan);
    }
    if (report.ok() && !r.keepWork()) {
      try {
        BuildRunner.deleteTree(r.work());
      } catch (IOException e) {
        err.println("kmodkit: could not remove the work directory " + r.work() + " (" + e.getMessage() + "); remove it by hand");
      }
    }
    return new Outcome(drivers, kernels, plan, report, signer, cpuSeconds());
  }

  /** Which confinement sourcing dkms.conf had (bubblewrap, or none and why): docs/commands.md, rebuild, "dkms.conf". */
  private static void sayConfinement(List<DriverSource> drivers, PrintWriter err) {
    drivers.stream().filter(DriverSource.Dkms.class::isInstance).map(d -> ((DriverSource.Dkms) d).shell().confinement().description()).findFirst()
        .ifPresent(c -> err.println("kmodkit: dkms.conf sourced by bash per kernel, as DKMS does; confinement: " + c));
  }

  private static KernelModuleSigner signer(Request r) throws BadInputException {
    Options.ModuleSigning s = r.signing();
    if (s.key == null && s.cert == null) {
      return null;
    }
    if (s.key == null || s.cert == null) {
      throw new BadInputException(s.key == null ? "--module-cert" : "--module-key", "needs its partner: pass both --module-key KEY.pem and --module-cert CERT (the kernel's signing_key.pem may be both)");
    }
    return KernelModuleSigner.load(s.key, s.cert, s.hash);
  }

  /** CPU time of this JVM: kmodkit's own cost, apart from the compilers it runs. */
  static double cpuSeconds() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime() / 1e9;
    }
    return -1;
  }

  /** kmodkit's cache: $KMODKIT_CACHE, else $XDG_CACHE_HOME/kmodkit, else ~/.cache/kmodkit. */
  static Path cacheDir() {
    String c = System.getenv("KMODKIT_CACHE");
    if (c != null && !c.isBlank()) {
      return Path.of(c);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "kmodkit");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "kmodkit");
  }

  static void requireWritableDir(Path dir, String option) throws EnvironmentException {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new EnvironmentException(dir + ": cannot create the " + option + " directory (" + e.getMessage() + "); pick another with " + option);
    }
  }
}
