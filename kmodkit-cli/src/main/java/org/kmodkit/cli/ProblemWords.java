package org.kmodkit.cli;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.kmodkit.core.build.BuildResult;
import org.kmodkit.core.check.ModuleVerdict;
import org.kmodkit.core.check.Problem;

/**
 * A verdict in words: the one-line summary and the next step that text and JSON print. The core
 * gives values (problems in the kernel's words, counts); the sentences around them live here.
 */
final class ProblemWords {
  private ProblemWords() {}

  /** Where an error goes in a summary, in the summary's order. */
  private enum Group {
    EACH, // every one, in the verdict's order
    CRC,
    UNKNOWN,
    GPL_ONLY,
    NAMESPACE,
    DUPLICATE,
    PROVIDER
  }

  private record Part(Group group, String text) {}

  static String summary(ModuleVerdict v) {
    String name = v.name();
    if (v.loads()) {
      int warnings = v.problems().size();
      return name + ": loads (" + v.symbols() + " symbols " + (v.crcsCompared() ? "match" : "resolve") + ")" + (warnings > 0 ? "; " + warnings + " warning" + (warnings > 1 ? "s" : "") + ", first: " + v.problems().get(0).kernelMessage(name) : "");
    }
    Map<Group, List<String>> groups = new EnumMap<>(Group.class);
    for (Problem p : v.errors()) {
      Part part = p.accept(PART);
      if (part != null) {
        groups.computeIfAbsent(part.group(), g -> new ArrayList<>()).add(part.text());
      }
    }
    List<String> parts = new ArrayList<>();
    groups.forEach((group, texts) -> {
      int n = texts.size();
      switch (group) {
        case EACH:
          parts.addAll(texts);
          break;
        case CRC:
          parts.add(v.differing() + " of " + v.symbols() + " symbols differ; first: " + texts.get(0));
          break;
        case UNKNOWN:
          parts.add(n + " unknown symbol" + (n > 1 ? "s" : "") + "; first: " + texts.get(0));
          break;
        case GPL_ONLY:
        case NAMESPACE:
        case DUPLICATE:
        case PROVIDER:
          parts.add(texts.get(0) + (n > 1 ? " (+" + (n - 1) + " more)" : ""));
          break;
      }
    });
    if (parts.isEmpty()) {
      parts.add(v.errors().get(0).kernelMessage(name));
    }
    return name + ": " + String.join("; ", parts);
  }

  /** What to do about a module that would not load, after its first error. */
  static String nextStep(ModuleVerdict v) {
    String release = v.kernel() == null ? "the target kernel" : v.kernel();
    String rebuild = "rebuild the module against the headers of " + release + " (kmodkit rebuild), or keep it off this kernel";
    return v.errors().get(0).accept(new Problem.Visitor<String>() {
      @Override
      public String visit(Problem.CrcMismatch p) {
        return rebuild;
      }

      @Override
      public String visit(Problem.ModuleLayoutMismatch p) {
        return rebuild;
      }

      @Override
      public String visit(Problem.UnknownSymbol p) {
        return rebuild;
      }

      @Override
      public String visit(Problem.GplOnlySymbol p) {
        return "the symbol is EXPORT_SYMBOL_GPL: only a module with a GPL-compatible MODULE_LICENSE may use it";
      }

      @Override
      public String visit(Problem.NamespaceNotImported p) {
        return "add MODULE_IMPORT_NS(" + p.namespace() + ") to the module source and rebuild";
      }

      @Override
      public String visit(Problem.NoSymbolVersion p) {
        return rebuild;
      }

      @Override
      public String visit(Problem.VermagicMismatch p) {
        return rebuild;
      }

      @Override
      public String visit(Problem.ForcedLoad p) {
        return rebuild;
      }

      @Override
      public String visit(Problem.DuplicateExport p) {
        return "the kernel now exports " + p.symbol() + " itself: rebuild the driver against " + release + " so its compat layer drops it";
      }

      @Override
      public String visit(Problem.ProviderUnloadable p) {
        return "make " + p.provider() + " loadable first (its own verdict says why), then re-check";
      }

      @Override
      public String visit(Problem.MissingDependency p) {
        return rebuild;
      }
    });
  }

  /** A failed build's reason, with the summary of the module check rejects when that is why. */
  static String reason(BuildResult.Failed f) {
    return f.reason() + f.modules().stream().filter(m -> !m.verdict().loads()).findFirst().map(m -> ": " + summary(m.verdict())).orElse("");
  }

  /** An error's words in a summary; null for kinds that are only ever warnings. */
  private static final Problem.Visitor<Part> PART = new Problem.Visitor<>() {
    @Override
    public Part visit(Problem.CrcMismatch p) {
      return new Part(Group.CRC, p.symbol() + " (module " + p.moduleCrc() + ", " + exporter(p.exporter()) + " " + p.kernelCrc() + ")");
    }

    @Override
    public Part visit(Problem.ModuleLayoutMismatch p) {
      return new Part(Group.EACH, "module_layout differs (module " + p.moduleCrc() + ", kernel " + p.kernelCrc() + ")");
    }

    @Override
    public Part visit(Problem.UnknownSymbol p) {
      return new Part(Group.UNKNOWN, p.symbol());
    }

    @Override
    public Part visit(Problem.GplOnlySymbol p) {
      return new Part(Group.GPL_ONLY, "uses GPL-only " + p.symbol() + " with licence '" + p.license() + "'");
    }

    @Override
    public Part visit(Problem.NamespaceNotImported p) {
      return new Part(Group.NAMESPACE, "uses " + p.symbol() + " from namespace " + p.namespace() + " without importing it");
    }

    @Override
    public Part visit(Problem.NoSymbolVersion p) {
      return null;
    }

    @Override
    public Part visit(Problem.VermagicMismatch p) {
      return new Part(Group.EACH, "version magic '" + p.moduleMagic().trim() + "' should be '" + p.kernelMagic().trim() + "'");
    }

    @Override
    public Part visit(Problem.ForcedLoad p) {
      return new Part(Group.EACH, p.reason() + " needs a forced load");
    }

    @Override
    public Part visit(Problem.DuplicateExport p) {
      return new Part(Group.DUPLICATE, "exports " + p.symbol() + ", which the kernel already exports");
    }

    @Override
    public Part visit(Problem.ProviderUnloadable p) {
      return new Part(Group.PROVIDER, (p.symbol() == null ? "depends on " + p.provider() : "needs " + p.symbol() + " from " + p.provider()) + ", which cannot load");
    }

    @Override
    public Part visit(Problem.MissingDependency p) {
      return null;
    }
  };

  /** The kernel itself is named "kernel", a module by its name. */
  static String exporter(String exporter) {
    return "vmlinux".equals(exporter) ? "kernel" : exporter;
  }
}
