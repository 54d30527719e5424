package org.kmodkit.core.verify;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why the booted kernel refused a module, as it said it (kernel/module/main.c, version.c). {@link
 * #kind()} uses the names of {@code kmodkit check}'s problems, so the two can be compared.
 */
public sealed interface Refusal {
  /** The kind, as in kmodkit.check/1: crc_mismatch, module_layout, unknown_symbol, vermagic, … */
  String kind();

  /** The symbol concerned, or null. */
  default String symbol() {
    return null;
  }

  /** The kernel's line, without the timestamp. */
  String message();

  /** {@code <mod>: disagrees about version of symbol <sym>} (module_layout: nothing built for another struct module loads). */
  record DisagreesAboutVersion(String message, String symbol) implements Refusal {
    @Override
    public String kind() {
      return "module_layout".equals(symbol) ? "module_layout" : "crc_mismatch";
    }
  }

  /** {@code <mod>: Unknown symbol <sym> (err <n>)}: -2 when nobody exports it, -22 after a CRC or namespace refusal. */
  record UnknownSymbol(String message, String symbol, int err) implements Refusal {
    @Override
    public String kind() {
      return "unknown_symbol";
    }
  }

  /** {@code <mod>: version magic '<module>' should be '<kernel>'}. */
  record VersionMagic(String message, String moduleMagic, String kernelMagic) implements Refusal {
    @Override
    public String kind() {
      return "vermagic";
    }
  }

  /** {@code <mod>: module uses symbol (<sym>) from namespace <ns>, but does not import it.} */
  record NamespaceNotImported(String message, String symbol, String namespace) implements Refusal {
    @Override
    public String kind() {
      return "namespace_not_imported";
    }
  }

  /** {@code <mod>: exports duplicate symbol <sym> (owned by <owner>)}. */
  record DuplicateExport(String message, String symbol, String owner) implements Refusal {
    @Override
    public String kind() {
      return "duplicate_export";
    }
  }

  /**
   * {@code Loading of unsigned module is rejected} / {@code … module with unavailable key …}: a
   * kernel enforcing signatures (module.sig_enforce=1, CONFIG_MODULE_SIG_FORCE) refused it.
   */
  record SignatureRejected(String message, String reason) implements Refusal {
    @Override
    public String kind() {
      return "signature";
    }
  }

  /**
   * The refusal {@code line} (a kernel message without timestamp) states about module {@code
   * module}, or empty when the line is something else (a taint notice, the module's own output).
   */
  static Optional<Refusal> parse(String module, String line) {
    Matcher sig = Patterns.SIGNATURE.matcher(line);
    if (sig.matches()) {
      // module_sig_check names no module: the line belongs to the step that logged it
      return Optional.of(new SignatureRejected(line, sig.group(1)));
    }
    String prefix = module + ": ";
    if (!line.startsWith(prefix)) {
      return Optional.empty();
    }
    String rest = line.substring(prefix.length());
    Matcher m;
    if ((m = Patterns.DISAGREES.matcher(rest)).matches()) {
      return Optional.of(new DisagreesAboutVersion(line, m.group(1)));
    }
    if ((m = Patterns.UNKNOWN.matcher(rest)).matches()) {
      return Optional.of(new UnknownSymbol(line, m.group(1), Integer.parseInt(m.group(2))));
    }
    if ((m = Patterns.VERMAGIC.matcher(rest)).matches()) {
      return Optional.of(new VersionMagic(line, m.group(1), m.group(2)));
    }
    if ((m = Patterns.NAMESPACE.matcher(rest)).matches()) {
      return Optional.of(new NamespaceNotImported(line, m.group(1), m.group(2)));
    }
    if ((m = Patterns.DUPLICATE.matcher(rest)).matches()) {
      return Optional.of(new DuplicateExport(line, m.group(1), m.group(2)));
    }
    return Optional.empty();
  }

  /** The kernel's formats (pr_warn/pr_err in kernel/module/*.c, 6.x). */
  final class Patterns {
    static final Pattern DISAGREES = Pattern.compile("disagrees about version of symbol (\\S+)");
    static final Pattern UNKNOWN = Pattern.compile("Unknown symbol (\\S+) \\(err (-?\\d{1,9})\\)");
    static final Pattern VERMAGIC = Pattern.compile("version magic '(.*)' should be '(.*)'");
    static final Pattern NAMESPACE = Pattern.compile("module uses symbol \\((\\S+)\\) from namespace (\\S+), but does not import it\\.");
    static final Pattern DUPLICATE = Pattern.compile("exports duplicate symbol (\\S+) \\(owned by (\\S+)\\)");
    static final Pattern SIGNATURE = Pattern.compile("Loading of (unsigned module|module with unavailable key|module with unsupported crypto) is rejected");

    private Patterns() {}
  }
}
