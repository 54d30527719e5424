package org.kmodkit.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.weak.HostSystemTools;
import org.kmodkit.core.weak.WeakUpdates;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A drop-in for RHEL's /usr/sbin/weak-modules, with its interface unchanged, so kmod packages'
 * scriptlets and kernel packages' posttrans call it as they call weak-modules today.
 */
@Command(
    name = "weak-modules",
    mixinStandardHelpOptions = true,
    description = {
      "Link compatible out-of-tree modules into other kernels' weak-updates (RHEL weak-modules' interface).",
      "Module paths for --add-modules/--remove-modules come from the arguments or, when none, from stdin."
    })
final class WeakModulesCommand implements Callable<Integer> {
  private final Host host;

  WeakModulesCommand(Host host) {
    this.host = host;
  }

  @Spec CommandSpec spec;

  static final class Action {
    @Option(names = "--add-kernel", paramLabel = "KERNEL", arity = "0..1", fallbackValue = "", description = "A kernel was installed: link what fits into it (default: the running kernel).")
    String addKernel;

    @Option(names = "--remove-kernel", paramLabel = "KERNEL", arity = "0..1", fallbackValue = "", description = "A kernel is being removed: remove kmodkit's links for it.")
    String removeKernel;

    @Option(names = "--add-modules", description = "Modules were installed (paths): link them where compatible.")
    boolean addModules;

    @Option(names = "--remove-modules", description = "Modules were removed (paths): drop links to them, relink other builds.")
    boolean removeModules;

    @Option(names = "--take-over", description = "Make /usr/sbin/weak-modules run kmodkit's: the original is diverted (dpkg-divert) or moved aside and recorded, never overwritten.")
    boolean takeOver;

    @Option(names = "--give-back", description = "Undo --take-over: the original /usr/sbin/weak-modules is put back (run by kmodkit's package removal too).")
    boolean giveBack;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Action action;

  @Parameters(paramLabel = "MODULE", arity = "0..*", description = "Module paths (with --add-modules / --remove-modules).")
  List<String> modules = new ArrayList<>();

  @Option(names = "--dry-run", description = "Print the plan; change nothing.")
  boolean dryRun;

  @Option(names = "--verbose", description = "Say what is linked, removed and why.")
  boolean verbose;

  @Option(names = "--no-initramfs", description = "Do not rebuild initramfs images.")
  boolean noInitramfs;

  @Option(names = {"--basedir", "--root"}, paramLabel = "DIR", description = "The system root (RHEL's --basedir); default /.")
  Path root;

  @Option(names = "--dracut", paramLabel = "PATH", description = "Accepted for compatibility; kmodkit finds the root's initramfs tool itself.")
  String dracut;

  @Option(names = "--delete-modules", description = "Accepted for compatibility (a no-op, as in weak-modules).")
  boolean deleteModules;

  @Mixin Options.Json json;

  @Override
  public Integer call() throws KmodkitException {
    Sysroot sysroot = host.root(root);
    if (action.takeOver || action.giveBack) {
      WeakModulesTakeOver t = new WeakModulesTakeOver(sysroot, host.runner());
      spec.commandLine().getOut().println(action.takeOver ? t.takeOver() : t.giveBack());
      return ExitCode.OK.code();
    }
    WeakUpdates.Request request;
    if (action.addKernel != null) {
      request = WeakUpdates.Request.addKernel(action.addKernel.isEmpty() ? runningKernel() : action.addKernel);
    } else if (action.removeKernel != null) {
      request = WeakUpdates.Request.removeKernel(action.removeKernel.isEmpty() ? runningKernel() : action.removeKernel);
    } else {
      List<String> paths = modules.isEmpty() ? stdin() : modules;
      if (paths.isEmpty() && action.addModules) {
        throw new BadInputException("--add-modules", "no module paths given (as arguments or on stdin)");
      }
      if (action.addModules) {
        requireExisting(sysroot, paths);
      }
      // every kernel is re-planned from what is installed now: added modules link where they fit,
      // removed ones lose their links, other builds of the same set take their place
      request = WeakUpdates.Request.all();
    }
    WeakUpdates.Result r = new WeakUpdates(sysroot, new HostSystemTools(host.runner())).run(request, dryRun, !noInitramfs);
    var out = spec.commandLine().getOut();
    if (json.on()) {
      JsonOutput.weak(out, r);
    } else {
      TextOutput.weak(out, r, verbose || dryRun);
    }
    return ExitCode.OK.code();
  }

  /** Each path names an installed module file: as given, or (absolute) as the root sees it. */
  private static void requireExisting(Sysroot root, List<String> paths) throws BadInputException {
    for (String p : paths) {
      if (!Files.isRegularFile(Path.of(p)) && !(p.startsWith("/") && root.resolve(p).filter(Files::isRegularFile).isPresent())) {
        throw new BadInputException(p, "does not exist in " + root.root() + "; --add-modules takes the module files a package installed (e.g. /lib/modules/<kernel>/extra/<name>.ko): install the package first, or correct the path");
      }
    }
  }

  private static String runningKernel() throws BadInputException {
    String v = System.getProperty("os.version");
    if (v == null || v.isEmpty()) {
      throw new BadInputException("--add-kernel", "no kernel given and the running one is unknown; name the kernel release");
    }
    return v;
  }

  private List<String> stdin() throws BadInputException {
    List<String> out = new ArrayList<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(host.stdin(), StandardCharsets.UTF_8));
    String line;
    try {
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) {
          out.add(line.trim());
        }
      }
    } catch (java.io.IOException e) {
      throw org.kmodkit.core.io.InputFiles.cannotRead("standard input", e);
    }
    return out;
  }
}
