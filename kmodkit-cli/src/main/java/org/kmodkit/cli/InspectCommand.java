package org.kmodkit.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.Printable;
import org.kmodkit.core.image.KernelImage;
import org.kmodkit.core.image.KernelImageReader;
import org.kmodkit.core.io.InputFiles;
import org.kmodkit.core.tree.ModuleFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kmodkit inspect FILE…}: modinfo, symbol versions and exports of modules; the ABI of kernel images. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Show what a module declares: modinfo fields, symbol versions (as modprobe --dump-modversions),",
      "exported symbols with CRC, type and namespace, undefined symbols, and the signature.",
      "For a kernel image (vmlinuz, vmlinux): release, compression, exports and namespaces."
    })
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Module files (.ko, .ko.xz, .ko.zst, .ko.gz) or kernel images.")
  List<Path> files;

  @Mixin Options.Json json;

  @Option(names = "--brief", description = "Only the summary of each file, without the symbol lists.")
  boolean brief;

  /** One inspected file: a module, an image, or why it could not be read. */
  record Inspected(Path file, ModuleFiles.Read module, KernelImage image, BadInputException error) {}

  @Override
  public Integer call() {
    List<Inspected> all = files.parallelStream().map(InspectCommand::inspect).toList();
    var err = spec.commandLine().getErr();
    ExitCode code = ExitCode.OK;
    for (Inspected i : all) {
      if (i.error() != null) {
        err.println("kmodkit: " + Printable.escape(i.error().getMessage()));
        code = ExitCode.BAD_INPUT;
      }
    }
    if (json.on()) {
      JsonOutput.inspect(spec.commandLine().getOut(), all);
    } else {
      TextOutput.inspect(spec.commandLine().getOut(), all, brief);
    }
    return code.code();
  }

  static Inspected inspect(Path f) {
    byte[] head;
    try {
      head = InputFiles.head(f, f.toString(), 0x250);
    } catch (BadInputException e) {
      return new Inspected(f, null, null, e);
    }
    if (KernelImageReader.looksLikeImage(head)) {
      try {
        return new Inspected(f, null, KernelImageReader.read(f), null);
      } catch (BadInputException e) {
        return new Inspected(f, null, null, e);
      }
    }
    ModuleFiles.Read r = ModuleFiles.read(f, f.toString());
    return new Inspected(f, r.ok() ? r : null, null, r.error());
  }
}
