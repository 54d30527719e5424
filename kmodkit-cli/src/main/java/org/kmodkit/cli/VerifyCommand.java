package org.kmodkit.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.Printable;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.check.Checker;
import org.kmodkit.core.tree.KernelAbiLoader;
import org.kmodkit.core.tree.ModuleTree;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.verify.BootPlan;
import org.kmodkit.core.verify.HostTools;
import org.kmodkit.core.verify.LoadPlanner;
import org.kmodkit.core.verify.ModuleSource;
import org.kmodkit.core.verify.VerifyReport;
import org.kmodkit.core.verify.VerifySet;
import org.kmodkit.core.verify.VmKernel;
import org.kmodkit.core.verify.VmVerifier;
import org.kmodkit.cli.input.VerifyInputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kmodkit verify --vm --kernel KERNEL [--modules DIR|PACKAGE…] [--load NAME,…]}: let the real kernel judge. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Boot the target kernel in a throw-away QEMU VM (KVM when /dev/kvm is usable, else emulation;",
      "no network, no host directory) with an initramfs holding busybox, the modules and what they",
      "need from the kernel's tree; load them in dependency order as modprobe would, unload and",
      "reload them, and report what the kernel said about each.",
      "KERNEL: a vmlinuz, the kernel's image package (.deb/.rpm), or a release installed under --root.",
      "Exit: 0 every requested module loaded, unloaded and reloaded; 1 one did not (or the kernel",
      "panicked or hung while loading); 2 bad input or usage; 3 environment (no qemu or busybox,",
      "or the kernel never reached kmodkit's init)."
    })
final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--vm", required = true, description = "Verify in a virtual machine (the one verifier there is; required so the cost is explicit).")
  boolean vm;

  @Mixin Options.Kernel kernel;

  @Option(names = "--modules", arity = "1..*", paramLabel = "DIR|PACKAGE|MODULE", description = "The modules to verify; each DIR and PACKAGE is one set, loaded and reloaded together.")
  List<Path> modules = new ArrayList<>();

  @Option(names = "--load", split = ",", paramLabel = "NAME", description = "Verify only these modules, in this order (default: all given); a name no set has is loaded from the kernel's tree.")
  List<String> load = new ArrayList<>();

  @Option(names = "--kernel-arg", paramLabel = "ARG", description = "Append ARG to the kernel command line (repeatable), e.g. module.sig_enforce=1 to boot a kernel that refuses unsigned modules.")
  List<String> kernelArgs = new ArrayList<>();

  @Mixin Options.Json json;

  @Option(names = {"-v", "--verbose"}, description = "Show every kernel line logged while each module was loaded, unloaded and reloaded.")
  boolean verbose;

  @Option(names = "--timeout", paramLabel = "SECONDS", description = "Stop the VM after this long (default: 60 s plus 8 s per module).")
  Integer timeout;

  @Option(names = "--memory", paramLabel = "MiB", defaultValue = "512", description = "Guest memory (default: ${DEFAULT-VALUE}).")
  int memory;

  /** How QEMU runs the guest. */
  enum AccelChoice {
    auto,
    kvm,
    tcg
  }

  @Option(names = "--accel", paramLabel = "auto|kvm|tcg", defaultValue = "auto", description = "KVM when /dev/kvm is usable, else TCG emulation (auto); or force one.")
  AccelChoice accel;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where console.log is kept, never removed (default: a new kmodkit-verify-* directory under the temporary directory, removed after a run that succeeded).")
  Path workDir;

  @Option(names = "--keep-work-dir", description = "Keep the kmodkit-verify-* directory (console.log) after a run that succeeded too; a failed run keeps it anyway.")
  boolean keepWorkDir;

  private final Host host;

  VerifyCommand(Host host) {
    this.host = host;
  }

  @Override
  public Integer call() throws KmodkitException {
    PrintWriter err = spec.commandLine().getErr();
    if (modules.isEmpty() && load.isEmpty()) {
      throw new BadInputException("verify", "nothing to load: give --modules DIR|PACKAGE… (the modules to verify) or --load NAME,… (modules of the kernel's own tree)");
    }
    if (timeout != null && timeout <= 0) {
      throw new BadInputException("--timeout " + timeout, "must be a positive number of seconds");
    }
    if (memory < 128) {
      throw new BadInputException("--memory " + memory, "is too little for the guest to unpack its initramfs; give 128 MiB or more");
    }
    HostTools tools = HostTools.find(host.root(), host.path()); // before any reading: fail fast on a missing tool
    if (accel != AccelChoice.auto) {
      tools = tools.withAccel(accel == AccelChoice.kvm ? VerifyReport.Accel.KVM : VerifyReport.Accel.TCG);
    }
    Path dir = workDir != null ? createDirectories(workDir) : createTempDirectory();
    Path scratch = dir.resolve("unpacked");
    boolean succeeded = false;
    try {
      VmKernel k = kernel.one().bootImage(scratch);
      ModuleTree tree = k.tree();
      KernelAbi abi = k.root() == null ? KernelAbi.builder().release(k.release()).build() : KernelAbiLoader.fromTree(k.root(), tree);
      VerifyInputs.Sets given = VerifyInputs.moduleSets(modules, scratch);
      List<BadInputException> errors = new ArrayList<>(given.errors());
      List<VerifySet> sets = new ArrayList<>();
      for (VerifySet s : given.sets()) {
        List<ModuleSource> admitted = new ArrayList<>();
        for (ModuleSource m : s.modules()) {
          try {
            Checker.requireSameArch(m.module(), abi);
            admitted.add(m);
          } catch (BadInputException e) {
            errors.add(e);
          }
        }
        if (!admitted.isEmpty()) {
          sets.add(new VerifySet(s.name(), admitted));
        }
      }
      for (BadInputException e : errors) {
        err.println("kmodkit: " + Printable.escape(e.getMessage()));
      }
      if (sets.isEmpty() && load.isEmpty()) {
        return ExitCode.BAD_INPUT.code(); // nothing readable to verify: the errors above say why
      }
      BootPlan plan = new LoadPlanner(tree, abi).plan(sets, load);
      Duration limit = timeout != null ? Duration.ofSeconds(timeout) : VmVerifier.Options.defaultTimeout(plan);
      VmVerifier verifier = new VmVerifier(host.runner(), tools, line -> err.println("kmodkit: " + Printable.escape(line)));
      VmVerifier.Options options;
      try {
        options = new VmVerifier.Options(memory, limit, dir, kernelArgs);
      } catch (IllegalArgumentException e) {
        throw new BadInputException("--kernel-arg", e.getMessage());
      }
      VerifyReport report = verifier.verify(k, plan, options);
      ExitCode code = !report.booted() ? ExitCode.ENVIRONMENT : report.allRequestedOk() ? ExitCode.OK : ExitCode.INCOMPATIBLE;
      if (!errors.isEmpty()) {
        code = code.and(ExitCode.BAD_INPUT);
      }
      String label = kernel.label();
      if (!report.booted()) {
        err.println("kmodkit: " + label + ": the kernel did not reach kmodkit's init (" + VerifyText.outcome(report) + "); see the last console lines below and " + report.consoleLog() + "; check that it is a bootable x86_64 kernel, or raise --timeout/--memory");
      }
      String treeLabel = k.root() == null ? null : k.image().startsWith(scratch) ? Sysroot.modulesPath(k.release()) + " in " + label : k.root().modulesDir(k.release()).toString();
      if (json.on()) {
        VerifyJson.write(spec.commandLine().getOut(), k, label, treeLabel, report, errors, code);
      } else {
        VerifyText.write(spec.commandLine().getOut(), k, label, treeLabel, report, errors, verbose);
      }
      succeeded = code == ExitCode.OK;
      return code.code();
    } finally {
      cleanUp(dir, scratch, succeeded, err);
    }
  }

  /**
   * The unpacked inputs always go. A directory kmodkit made goes too, unless --keep-work-dir or the
   * run failed after the kernel started writing its console: console.log is then the evidence.
   */
  private void cleanUp(Path dir, Path scratch, boolean succeeded, PrintWriter err) {
    boolean made = workDir == null;
    boolean keep = !made || keepWorkDir || !succeeded && Files.exists(dir.resolve("console.log"));
    try {
      BuildRunner.deleteTree(keep ? scratch : dir);
    } catch (IOException e) {
      err.println("kmodkit: could not remove " + (keep ? scratch : dir) + " (" + e.getMessage() + "); remove it by hand");
    }
    if (made && keep) {
      err.println("kmodkit: kept " + Printable.escape(dir.toString()) + " (console.log holds the kernel's whole console); remove it when done");
    }
  }

  private Path createTempDirectory() throws EnvironmentException {
    try {
      return Files.createTempDirectory(host.tmp(), "kmodkit-verify-");
    } catch (IOException e) {
      throw new EnvironmentException(host.tmp() + ": cannot create a work directory (" + e.getMessage() + "); set --work-dir or TMPDIR to a writable place");
    }
  }

  private static Path createDirectories(Path d) throws EnvironmentException {
    try {
      return Files.createDirectories(d);
    } catch (IOException e) {
      throw new EnvironmentException(d + ": cannot create the work directory (" + e.getMessage() + "); pick a writable --work-dir");
    }
  }
}
