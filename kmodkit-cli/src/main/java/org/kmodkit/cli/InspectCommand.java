package org.kmodkit.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.kmodkit.core.tree.ModuleFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kmodkit inspect FILE…}: modinfo, the symbol versions and the exports of modules, in one view. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Show what a module declares: modinfo fields, symbol versions (as modprobe --dump-modversions),",
      "exported symbols with CRC, type and namespace, undefined symbols, and the signature."
    })
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Module files (.ko, .ko.xz, .ko.zst, .ko.gz).")
  List<Path> files;

  @Option(names = "--json", description = "Print JSON (schema kmodkit.inspect/1) instead of text.")
  boolean json;

  @Option(names = "--brief", description = "Only the summary of each module, without the symbol lists.")
  boolean brief;

  @Override
  public Integer call() throws Exception {
    List<ModuleFiles.Read> reads = ModuleFiles.readAll(files, Path::toString);
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    List<ModuleFiles.Read> ok = new ArrayList<>();
    ExitCode code = ExitCode.OK;
    for (ModuleFiles.Read r : reads) {
      if (r.ok()) {
        ok.add(r);
      } else {
        err.println("kmodkit: " + r.error().getMessage());
        code = ExitCode.BAD_INPUT;
      }
    }
    if (json) {
      JsonOutput.inspect(out, reads);
    } else {
      TextOutput.inspect(out, ok, brief);
    }
    return code.code();
  }
}
