package org.kmodkit.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.Printable;
import org.kmodkit.core.abi.ExportType;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.check.ModuleVerdict;
import org.kmodkit.core.check.Problem;
import org.kmodkit.core.check.SetVerdict;
import org.kmodkit.core.elf.Import;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleSignature;
import org.kmodkit.core.elf.SymbolVersion;
import org.kmodkit.core.image.KernelImage;
import org.kmodkit.core.tree.Sysroot;
import org.kmodkit.core.weak.Inventory;
import org.kmodkit.core.weak.Plan;
import org.kmodkit.core.weak.Status;
import org.kmodkit.core.weak.WeakUpdates;

/** Human-readable renderings; one line per fact, greppable, no colour (pipes and logs read it). */
final class TextOutput {
  private TextOutput() {}

  static void inspect(PrintWriter out, List<InspectCommand.Inspected> all, boolean brief) {
    boolean first = true;
    for (InspectCommand.Inspected i : all) {
      if (i.error() != null) {
        continue;
      }
      if (!first) {
        out.println();
      }
      first = false;
      if (i.image() != null) {
        image(out, i.image(), brief);
        continue;
      }
      ModuleFile m = i.module().module();
      line(out, m.path());
      row(out, "name", m.name());
      row(out, "format", m.arch() + (m.compression().suffix().isEmpty() ? "" : ", " + m.compression().name().toLowerCase() + " compressed"));
      for (Map.Entry<String, String> e : m.modinfo().entries()) {
        if (!e.getKey().equals("name")) {
          row(out, e.getKey(), e.getValue());
        }
      }
      if (m.signature().isPresent()) {
        ModuleSignature s = m.signature().get();
        row(out, "signer", s.signer());
        row(out, "sig_key", s.keyId());
        row(out, "sig_hashalgo", s.hashAlgorithm());
        row(out, "sig_format", s.idType() == 2 ? "PKCS#7 (" + s.signatureBytes() + " bytes)" : "id type " + s.idType());
      } else {
        row(out, "signature", "none");
      }
      long gpl = m.exports().stream().filter(e -> e.type().gplOnly()).count();
      long weak = m.imports().stream().filter(Import::weak).count();
      row(out, "versions", m.versions().size() + " (" + versionsKind(m) + ")");
      row(out, "exports", m.exports().size() + (m.exports().isEmpty() ? "" : " (" + (m.exports().size() - gpl) + " EXPORT_SYMBOL, " + gpl + " GPL-only)"));
      row(out, "imports", m.imports().size() + " undefined symbols" + (weak > 0 ? " (" + weak + " weak)" : ""));
      if (brief) {
        continue;
      }
      if (!m.versions().isEmpty()) {
        line(out, "  symbol versions:");
        for (SymbolVersion v : m.versions()) {
          out.println("    " + v.crc() + "\t" + Printable.escape(v.name())); // tab-separated: the fields are escaped, not the tabs
        }
      }
      if (!m.exports().isEmpty()) {
        line(out, "  exported symbols:");
        for (KernelSymbol s : m.exports()) {
          out.println("    " + (s.crc() == null ? "(no crc)  " : s.crc()) + "\t" + Printable.escape(s.name()) + "\t" + s.type().name() + (s.namespace().isEmpty() ? "" : "\t" + Printable.escape(s.namespace())));
        }
      }
    }
  }

  private static void image(PrintWriter out, KernelImage img, boolean brief) {
    line(out, img.source());
    row(out, "release", img.release() == null ? "(not in the image)" : img.release());
    if (img.banner() != null) {
      row(out, "banner", img.banner());
    }
    row(out, "format", img.format() + ", " + img.arch() + ", payload " + img.compression().label() + ", vmlinux " + img.vmlinuxBytes() + " bytes");
    long gpl = img.exports().stream().filter(e -> e.type().gplOnly()).count();
    row(out, "exports", img.exports().size() + " (" + (img.exports().size() - gpl) + " EXPORT_SYMBOL, " + gpl + " GPL-only)");
    row(out, "namespaces", img.namespaces().isEmpty() ? "none" : String.join(", ", img.namespaces()));
    if (!brief) {
      line(out, "  exported symbols:");
      for (KernelSymbol s : img.exports()) {
        out.println("    " + s.crc() + "\t" + Printable.escape(s.name()) + "\t" + s.type().name() + (s.namespace().isEmpty() ? "" : "\t" + Printable.escape(s.namespace())));
      }
    }
  }

  private static String versionsKind(ModuleFile m) {
    switch (m.versionsKind()) {
      case BASIC:
        return "__versions";
      case EXTENDED:
        return "extended modversions";
      case BOTH:
        return "extended modversions, with __versions";
      default:
        return "none: built without CONFIG_MODVERSIONS or stripped";
    }
  }

  /** Prints one line with every name in it escaped ({@link Printable}): the one way text renderers print. */
  static void line(PrintWriter out, String s) {
    out.println(Printable.escape(s));
  }

  private static void row(PrintWriter out, String key, String value) {
    line(out, String.format("  %-13s %s", key + ":", value));
  }

  static void check(PrintWriter out, KernelAbi abi, List<SetVerdict> sets, List<BadInputException> errors, boolean verbose, boolean quiet) {
    line(out, "kernel " + (abi.release() == null ? "(release unknown)" : abi.release())
        + ": " + abi.vmlinuxSymbols().size() + " vmlinux symbols, " + abi.moduleSymbols().size() + " module symbols"
        + (abi.modversions() ? ", modversions" : ", no modversions"));
    for (String s : abi.sources()) {
      line(out, "  from " + s);
    }
    for (String n : abi.notes()) {
      line(out, "  note: " + n);
    }
    long total = 0;
    long loads = 0;
    for (SetVerdict set : sets) {
      total += set.modules().size();
      loads += set.loadable();
      out.println();
      line(out, "set " + set.name() + ": " + set.loadable() + " of " + set.modules().size() + " module" + (set.modules().size() == 1 ? "" : "s") + " load" + (set.loads() ? "" : "; the set as a whole does not"));
      for (ModuleVerdict v : set.modules()) {
        if (quiet && v.loads()) {
          continue;
        }
        line(out, "  " + (v.loads() ? "ok   " : "FAIL ") + ProblemWords.summary(v));
        if (!v.loads()) {
          line(out, "       next: " + ProblemWords.nextStep(v));
        }
        if (verbose) {
          line(out, "       file: " + v.module().path());
          for (Problem p : v.problems()) {
            line(out, "       " + (p.severity() == Problem.Severity.ERROR ? "error: " : "warning: ") + p.kernelMessage(v.name()) + p.accept(DETAIL));
          }
        }
      }
    }
    out.println();
    line(out, total + " module" + (total == 1 ? "" : "s") + " in " + sets.size() + " set" + (sets.size() == 1 ? "" : "s") + ": " + loads + " load, " + (total - loads) + " would not" + (errors.isEmpty() ? "" : "; " + errors.size() + " input" + (errors.size() == 1 ? "" : "s") + " unreadable (see stderr)"));
  }

  /** What the kernel's message leaves out: the CRCs, the provider, the export's licence. */
  private static final Problem.Visitor<String> DETAIL = new Problem.Visitor<>() {
    @Override
    public String visit(Problem.CrcMismatch p) {
      return " (module " + p.moduleCrc() + ", " + ProblemWords.exporter(p.exporter()) + " " + p.kernelCrc() + ")";
    }

    @Override
    public String visit(Problem.ModuleLayoutMismatch p) {
      return " (module " + p.moduleCrc() + ", kernel " + p.kernelCrc() + ")";
    }

    @Override
    public String visit(Problem.UnknownSymbol p) {
      return "";
    }

    @Override
    public String visit(Problem.GplOnlySymbol p) {
      return " (" + p.symbol() + " is " + ExportType.EXPORT_SYMBOL_GPL.name() + " in " + p.exporter() + "; licence '" + p.license() + "')";
    }

    @Override
    public String visit(Problem.NamespaceNotImported p) {
      return "";
    }

    @Override
    public String visit(Problem.NoSymbolVersion p) {
      return "";
    }

    @Override
    public String visit(Problem.VermagicMismatch p) {
      return "";
    }

    @Override
    public String visit(Problem.ForcedLoad p) {
      return "";
    }

    @Override
    public String visit(Problem.DuplicateExport p) {
      return "";
    }

    @Override
    public String visit(Problem.ProviderUnloadable p) {
      return " (provider " + p.provider() + " cannot load)";
    }

    @Override
    public String visit(Problem.MissingDependency p) {
      return "";
    }
  };

  static void weak(PrintWriter out, WeakUpdates.Result r, boolean verbose) {
    Plan plan = r.plan();
    for (String n : plan.notes()) {
      line(out, "note: " + n);
    }
    for (Plan.KernelPlan kp : plan.kernels()) {
      String what;
      switch (kp.change()) {
        case NONE:
          what = "unchanged";
          break;
        case DEPMOD_ONLY:
          what = "unchanged links; depmod to finish";
          break;
        case REMOVE:
          what = "kmodkit's links removed";
          break;
        default:
          what = kp.links().size() + " link" + (kp.links().size() == 1 ? "" : "s") + (kp.overrides().isEmpty() ? "" : ", " + kp.overrides().size() + " override" + (kp.overrides().size() == 1 ? "" : "s"));
      }
      line(out, (r.outcome() == null ? "would: " : "") + kp.release() + ": " + what);
      if (!verbose) {
        continue;
      }
      for (Inventory.Link l : kp.links()) {
        line(out, "  weak-updates/kmodkit/" + l.path() + " -> " + l.target() + "  (" + l.set() + ")");
      }
      for (String o : kp.overrides()) {
        line(out, "  depmod.d: " + o);
      }
      for (Plan.SetDecision d : kp.decisions()) {
        if (d.state() != Plan.State.LINKED && d.state() != Plan.State.NATIVE) {
          line(out, "  " + d.set() + ": " + d.state().name().toLowerCase().replace('_', ' ') + ": " + d.reason());
        }
      }
    }
    if (r.outcome() != null) {
      for (String n : r.outcome().notes()) {
        line(out, "note: " + n);
      }
      if (!r.outcome().initramfs().isEmpty()) {
        line(out, "initramfs rebuilt: " + String.join(", ", r.outcome().initramfs()));
      }
    }
  }

  static void status(PrintWriter out, Sysroot root, Status st) {
    line(out, "root " + root.root() + ": " + st.kernels().size() + " kernel" + (st.kernels().size() == 1 ? "" : "s") + ", " + st.sets().size() + " out-of-tree module set" + (st.sets().size() == 1 ? "" : "s"));
    if (st.sets().isEmpty()) {
      line(out, "no modules under extra/ or updates/ of any kernel");
      return;
    }
    int w = Math.max("set \\ kernel".length(), st.sets().stream().mapToInt(String::length).max().orElse(0)) + 2;
    java.util.Map<String, Integer> cw = new java.util.HashMap<>();
    for (String k : st.kernels()) {
      int width = k.length();
      for (String set : st.sets()) {
        width = Math.max(width, short_(st.cell(set, k)).length());
      }
      cw.put(k, width + 2);
    }
    StringBuilder head = new StringBuilder(String.format("%-" + w + "s", "set \\ kernel"));
    for (String k : st.kernels()) {
      head.append(String.format("%-" + cw.get(k) + "s", k));
    }
    line(out, head.toString().stripTrailing());
    for (String set : st.sets()) {
      StringBuilder row = new StringBuilder(String.format("%-" + w + "s", set));
      for (String k : st.kernels()) {
        row.append(String.format("%-" + cw.get(k) + "s", short_(st.cell(set, k))));
      }
      line(out, row.toString().stripTrailing());
    }
    out.println();
    for (String set : st.sets()) {
      for (String k : st.kernels()) {
        Status.Cell c = st.cell(set, k);
        if (c.state() != Status.State.NATIVE) {
          line(out, set + " on " + k + ": " + c.state().label() + (c.from().isEmpty() ? "" : " (from " + String.join(", ", c.from()) + ")") + (c.byOtherTool() ? " [links made by another tool]" : "") + (c.stale() ? " [links on disk disagree]" : "") + (c.detail() == null ? "" : ": " + c.detail()));
        }
      }
    }
    for (String n : st.notes()) {
      line(out, "note: " + n);
    }
  }

  static String short_(Status.Cell c) {
    switch (c.state()) {
      case NATIVE:
        return "native";
      case LINKED:
        return "linked<-" + shortRelease(c.from()) + (c.stale() ? "!" : "");
      case COMPATIBLE_NOT_LINKED:
        return "compatible,unlinked";
      case PARTIAL:
        return "partial";
      case DEPENDENCY_MISSING:
        return "dependency missing";
      case NO_ABI:
        return "?";
      default:
        return "INCOMPATIBLE" + (c.stale() ? "!" : "");
    }
  }

  private static String shortRelease(List<String> from) {
    return from.isEmpty() ? "?" : from.get(0);
  }

  static void preflight(PrintWriter out, String release, KernelAbi abi, Plan.KernelPlan kp) {
    line(out, "new kernel " + release + " (" + abi.vmlinuxSymbols().size() + " vmlinux symbols; from " + String.join("; ", abi.sources()) + ")");
    if (kp.decisions().isEmpty()) {
      line(out, "this system has no out-of-tree module sets: nothing to link, nothing breaks");
      return;
    }
    for (Plan.SetDecision d : kp.decisions()) {
      switch (d.state()) {
        case LINKED:
          line(out, "  links   " + d.set() + ": " + String.join(", ", d.modules()) + " (build for " + String.join(", ", d.from()) + ")");
          break;
        case PARTIAL:
          line(out, "  PARTLY  " + d.set() + ": links " + String.join(", ", d.modules()) + "; " + d.reason());
          line(out, "          next: rebuild " + d.set() + " for " + release + " (kmodkit rebuild --kernel <its headers>)");
          break;
        default:
          line(out, "  BREAKS  " + d.set() + ": " + d.reason());
          line(out, "          next: rebuild " + d.set() + " for " + release + " (kmodkit rebuild --kernel <its headers>) before rebooting into it");
      }
    }
  }
}
