package org.kmodkit.core.check;

import java.util.List;
import org.kmodkit.core.elf.ModuleFile;

/**
 * The verdict on one module: would it load, every problem in the kernel's words, how many of its
 * symbols were checked, which modules it needs. Values only: the command line words the summary
 * and the next step from them.
 *
 * @param kernel the release judged against, or null when the kernel's inputs do not name it
 * @param symbols imported symbols the loader resolves (weak and ignored ones excluded)
 * @param differing symbols whose CRC differs from the exporter's
 * @param crcsCompared the symbols' CRCs were compared (a modversions kernel, a module with versions)
 * @param needs modules (of the set or the kernel) that must be loaded first, in no special order
 */
public record ModuleVerdict(ModuleFile module, String kernel, boolean loads, List<Problem> problems, int symbols, int differing, boolean crcsCompared, List<String> needs) {
  public ModuleVerdict {
    problems = List.copyOf(problems);
    needs = List.copyOf(needs);
  }

  public String name() {
    return module.name();
  }

  public List<Problem> errors() {
    return problems.stream().filter(p -> p.severity() == Problem.Severity.ERROR).toList();
  }

  public List<Problem> warnings() {
    return problems.stream().filter(p -> p.severity() == Problem.Severity.WARNING).toList();
  }
}
