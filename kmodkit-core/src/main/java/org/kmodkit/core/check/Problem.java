package org.kmodkit.core.check;

import org.kmodkit.core.abi.Crc;

/**
 * One reason the kernel would refuse (or warn about) a module, named after the kernel's own case.
 * {@link #kernelMessage(String)} is what the kernel would log for module {@code module}. Code that
 * treats kinds differently goes through {@link #accept(Visitor)}: a new kind then fails to compile
 * until every such place handles it (Java 17 has no pattern-matching switch).
 */
public sealed interface Problem {
  /** Errors stop the load; warnings are logged and the load goes on. */
  enum Severity {
    ERROR,
    WARNING
  }

  /** A stable machine name for JSON and scripts. */
  String kind();

  /** The symbol concerned, or null. */
  default String symbol() {
    return null;
  }

  default Severity severity() {
    return Severity.ERROR;
  }

  String kernelMessage(String module);

  <R> R accept(Visitor<R> visitor);

  /** One method per kind of problem, no default: adding a kind breaks every visitor until it is handled. */
  interface Visitor<R> {
    R visit(CrcMismatch p);

    R visit(ModuleLayoutMismatch p);

    R visit(UnknownSymbol p);

    R visit(GplOnlySymbol p);

    R visit(NamespaceNotImported p);

    R visit(NoSymbolVersion p);

    R visit(VermagicMismatch p);

    R visit(ForcedLoad p);

    R visit(DuplicateExport p);

    R visit(ProviderUnloadable p);

    R visit(MissingDependency p);
  }

  /** Module built against another CRC than the kernel (or providing module) exports. */
  record CrcMismatch(String symbol, Crc moduleCrc, Crc kernelCrc, String exporter) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "crc_mismatch";
    }

    @Override
    public String kernelMessage(String module) {
      return module + ": disagrees about version of symbol " + symbol;
    }
  }

  /** The module's module_layout CRC differs: struct module itself changed; nothing built before loads. */
  record ModuleLayoutMismatch(Crc moduleCrc, Crc kernelCrc) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "module_layout";
    }

    @Override
    public String symbol() {
      return "module_layout";
    }

    @Override
    public String kernelMessage(String module) {
      return module + ": disagrees about version of symbol module_layout";
    }
  }

  /** No exporter of the symbol: not vmlinux, not the kernel's modules, not the set's. */
  record UnknownSymbol(String symbol) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "unknown_symbol";
    }

    @Override
    public String kernelMessage(String module) {
      return module + ": Unknown symbol " + symbol + " (err -2)";
    }
  }

  /** A GPL-only export used by a module whose licence is not GPL-compatible: the kernel hides it. */
  record GplOnlySymbol(String symbol, String exporter, String license) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "gpl_only";
    }

    @Override
    public String kernelMessage(String module) {
      return module + ": Unknown symbol " + symbol + " (err -2)";
    }
  }

  /** The symbol is exported in a namespace the module does not import. */
  record NamespaceNotImported(String symbol, String namespace, Severity severity) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "namespace_not_imported";
    }

    @Override
    public String kernelMessage(String module) {
      return module + ": module uses symbol (" + symbol + ") from namespace " + namespace + ", but does not import it.";
    }
  }

  /** The module has no version for a symbol it uses: the kernel warns once and loads it. */
  record NoSymbolVersion(String symbol) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "no_symbol_version";
    }

    @Override
    public Severity severity() {
      return Severity.WARNING;
    }

    @Override
    public String kernelMessage(String module) {
      return module + ": no symbol version for " + symbol;
    }
  }

  /** Version magic differs (the whole string without CRCs; after the release with them). */
  record VermagicMismatch(String moduleMagic, String kernelMagic) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "vermagic";
    }

    @Override
    public String kernelMessage(String module) {
      return module + ": version magic '" + moduleMagic + "' should be '" + kernelMagic + "'";
    }
  }

  /**
   * The module lacks what the loader needs unforced (no __versions on a modversions kernel, or no
   * vermagic): refused, or loaded with a taint when the kernel has CONFIG_MODULE_FORCE_LOAD.
   */
  record ForcedLoad(String reason, Severity severity) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return severity == Severity.ERROR ? "needs_force" : "forced_taint";
    }

    @Override
    public String kernelMessage(String module) {
      return severity == Severity.ERROR
          ? module + ": " + reason + " (refused: Exec format error; the kernel lacks CONFIG_MODULE_FORCE_LOAD)"
          : module + ": " + reason + ": kernel tainted.";
    }
  }

  /** The module exports a symbol the kernel already exports. */
  record DuplicateExport(String symbol, String owner) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "duplicate_export";
    }

    @Override
    public String kernelMessage(String module) {
      return module + ": exports duplicate symbol " + symbol + " (owned by " + ("vmlinux".equals(owner) ? "kernel" : owner) + ")";
    }
  }

  /** A symbol comes from another module of the set, and that module cannot load. */
  record ProviderUnloadable(String symbol, String provider) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "provider_unloadable";
    }

    @Override
    public String kernelMessage(String module) {
      return symbol == null
          ? "modprobe: ERROR: could not insert '" + module + "': " + provider + " (a dependency) cannot load"
          : module + ": Unknown symbol " + symbol + " (err -2)";
    }
  }

  /** {@code depends=} names a module neither the set nor the kernel has. */
  record MissingDependency(String dependency) implements Problem {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    @Override
    public String kind() {
      return "missing_dependency";
    }

    @Override
    public String symbol() {
      return null;
    }

    @Override
    public Severity severity() {
      return Severity.WARNING;
    }

    @Override
    public String kernelMessage(String module) {
      return "modprobe: FATAL: Module " + dependency + " not found (needed by " + module + ")";
    }
  }
}
