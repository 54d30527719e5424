package org.kmodkit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.Printable;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.check.Checker;
import org.kmodkit.core.check.SetVerdict;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.tree.ModuleSet;
import org.kmodkit.cli.input.Inputs;
import org.kmodkit.cli.input.KernelSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kmodkit check --kernel KERNEL MODULE|DIR|PACKAGE…}: would these modules load, and if not, why. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Judge modules against a kernel the way the kernel's loader does, without installing anything.",
      "KERNEL: a Module.symvers or symvers-*.gz/.xz file, a headers directory, kernel packages",
      "(.deb or .rpm, repeat --kernel), or a release installed under --root (default /).",
      "Each DIR and PACKAGE is one module set; module files named together form one set.",
      "Exit: 0 every module loads, 1 some module would not, 2 bad input or usage, 3 environment."
    })
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin Options.Kernel kernel;

  @Parameters(arity = "1..*", paramLabel = "MODULE|DIR|PACKAGE", description = "What to judge.")
  List<Path> inputs;

  @Mixin Options.Json json;

  @Mixin Options.Verbosity verbosity;

  /** Where the output goes when {@link CheckArgs} made this command without picocli (then spec is null). */
  PrintWriter out;
  PrintWriter err;

  @Override
  public Integer call() throws KmodkitException, InterruptedException {
    // the kernel's ABI loads on its own thread while the modules are read on the others
    KernelSpec one = kernel.one();
    FutureTask<KernelAbi> loading = new FutureTask<>(one::abi);
    Thread loader = new Thread(loading, "kernel-abi");
    loader.setDaemon(true);
    loader.start();
    List<ModuleSet> sets = Inputs.moduleSets(inputs);
    KernelAbi abi = loaded(loading);
    Checker checker = new Checker(abi);
    List<BadInputException> errors = new ArrayList<>();
    List<SetVerdict> verdicts = new ArrayList<>();
    for (ModuleSet set : sets) {
      errors.addAll(set.errors());
      List<ModuleFile> admitted = new ArrayList<>();
      for (ModuleFile m : set.modules()) {
        try {
          Checker.requireSameArch(m, abi);
          admitted.add(m);
        } catch (BadInputException e) {
          errors.add(e);
        }
      }
      if (!admitted.isEmpty()) {
        verdicts.add(checker.check(set.name(), admitted));
      }
    }
    ExitCode code = verdicts.stream().allMatch(SetVerdict::loads) ? ExitCode.OK : ExitCode.INCOMPATIBLE;
    if (!errors.isEmpty()) {
      code = code.and(ExitCode.BAD_INPUT);
    }
    PrintWriter err = spec == null ? this.err : spec.commandLine().getErr();
    PrintWriter out = spec == null ? this.out : spec.commandLine().getOut();
    for (BadInputException e : errors) {
      err.println("kmodkit: " + Printable.escape(e.getMessage()));
    }
    if (json.on()) {
      JsonOutput.check(out, abi, verdicts, errors, code);
    } else {
      TextOutput.check(out, abi, verdicts, errors, verbosity.verbose(), verbosity.quiet());
    }
    return code.code();
  }

  /** The loader thread's result, or what it threw, as if loaded on this thread. */
  private static KernelAbi loaded(FutureTask<KernelAbi> loading) throws KmodkitException, InterruptedException {
    try {
      return loading.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KmodkitException k) { // bad input or the environment: as if loaded here
        throw k;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
