package org.kmodkit.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.weak.HostSystemTools;
import org.kmodkit.core.weak.Inventory;
import org.kmodkit.core.weak.Plan;
import org.kmodkit.core.weak.Planner;
import org.kmodkit.core.weak.WeakUpdates;
import org.kmodkit.cli.input.KernelPackages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kmodkit preflight --kernel-package FILE…}: before a kernel is installed, what would link and what would break. */
@Command(
    name = "preflight",
    mixinStandardHelpOptions = true,
    description = {
      "Before a new kernel is installed: which out-of-tree module sets of this system would be linked",
      "into it, which would break and why, and what to rebuild. The kernel packages are read, not installed."
    })
final class PreflightCommand implements Callable<Integer> {
  private final Host host;

  PreflightCommand(Host host) {
    this.host = host;
  }

  @Spec CommandSpec spec;

  @Option(names = "--kernel-package", required = true, paramLabel = "FILE", description = "The new kernel's packages (.deb or .rpm; repeat for image + headers).")
  List<Path> packages;

  @Option(names = "--root", paramLabel = "DIR", description = "The system whose module sets are judged; default /.")
  Path root;

  @Mixin Options.Json json;

  @Override
  public Integer call() throws KmodkitException {
    KernelAbi abi = KernelPackages.load(packages);
    if (abi.release() == null) {
      throw new BadInputException(packages.get(0).toString(), "does not say which kernel release it installs");
    }
    Sysroot sysroot = host.root(root);
    WeakUpdates weak = new WeakUpdates(sysroot, new HostSystemTools(host.runner()));
    Inventory inv = weak.inventory();
    String release = abi.release();
    Planner planner = new Planner(k -> k.equals(release) ? abi : weak.abi(k));
    Plan.KernelPlan kp = planner.preview(inv, release);
    if (json.on()) {
      JsonOutput.preflight(spec.commandLine().getOut(), release, kp);
    } else {
      TextOutput.preflight(spec.commandLine().getOut(), release, abi, kp);
    }
    boolean breaks = kp.decisions().stream().anyMatch(d -> d.state() != Plan.State.LINKED && d.state() != Plan.State.NATIVE);
    return breaks ? ExitCode.INCOMPATIBLE.code() : ExitCode.OK.code();
  }
}
