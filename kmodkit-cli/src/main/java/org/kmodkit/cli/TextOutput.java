package org.kmodkit.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import org.kmodkit.core.BadInputException;
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
      out.println(m.path());
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
        out.println("  symbol versions:");
        for (SymbolVersion v : m.versions()) {
          out.println("    " + v.crc() + "\t" + v.name());
        }
      }
      if (!m.exports().isEmpty()) {
        out.println("  exported symbols:");
        for (KernelSymbol s : m.exports()) {
          out.println("    " + (s.crc() == null ? "(no crc)  " : s.crc()) + "\t" + s.name() + "\t" + s.type().name() + (s.namespace().isEmpty() ? "" : "\t" + s.namespace()));
        }
      }
    }
  }

  private static void image(PrintWriter out, KernelImage img, boolean brief) {
    out.println(img.source());
    row(out, "release", img.release() == null ? "(not in the image)" : img.release());
    if (img.banner() != null) {
      row(out, "banner", img.banner());
    }
    row(out, "format", img.format() + ", " + img.arch() + ", payload " + img.compression().label() + ", vmlinux " + img.vmlinuxBytes() + " bytes");
    long gpl = img.exports().stream().filter(e -> e.type().gplOnly()).count();
    row(out, "exports", img.exports().size() + " (" + (img.exports().size() - gpl) + " EXPORT_SYMBOL, " + gpl + " GPL-only)");
    row(out, "namespaces", img.namespaces().isEmpty() ? "none" : String.join(", ", img.namespaces()));
    if (!brief) {
      out.println("  exported symbols:");
      for (KernelSymbol s : img.exports()) {
        out.println("    " + s.crc() + "\t" + s.name() + "\t" + s.type().name() + (s.namespace().isEmpty() ? "" : "\t" + s.namespace()));
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

  private static void row(PrintWriter out, String key, String value) {
    out.printf("  %-13s %s%n", key + ":", value);
  }

  static void check(PrintWriter out, KernelAbi abi, List<SetVerdict> sets, List<BadInputException> errors, boolean verbose, boolean quiet) {
    out.println("kernel " + (abi.release() == null ? "(release unknown)" : abi.release())
        + ": " + abi.vmlinuxSymbols().size() + " vmlinux symbols, " + abi.moduleSymbols().size() + " module symbols"
        + (abi.modversions() ? ", modversions" : ", no modversions")
        + (abi.vermagic() == null ? ", vermagic unknown (not checked)" : ""));
    for (String s : abi.sources()) {
      out.println("  from " + s);
    }
    long total = 0;
    long loads = 0;
    for (SetVerdict set : sets) {
      total += set.modules().size();
      loads += set.loadable();
      out.println();
      out.println("set " + set.name() + ": " + set.loadable() + " of " + set.modules().size() + " module" + (set.modules().size() == 1 ? "" : "s") + " load" + (set.loads() ? "" : "; the set as a whole does not"));
      for (ModuleVerdict v : set.modules()) {
        if (quiet && v.loads()) {
          continue;
        }
        out.println("  " + (v.loads() ? "ok   " : "FAIL ") + v.summary());
        if (!v.loads()) {
          out.println("       next: " + v.nextStep());
        }
        if (verbose) {
          out.println("       file: " + v.module().path());
          for (Problem p : v.problems()) {
            out.println("       " + (p.severity() == Problem.Severity.ERROR ? "error: " : "warning: ") + p.kernelMessage(v.name()) + detail(p));
          }
        }
      }
    }
    out.println();
    out.println(total + " module" + (total == 1 ? "" : "s") + " in " + sets.size() + " set" + (sets.size() == 1 ? "" : "s") + ": " + loads + " load, " + (total - loads) + " would not" + (errors.isEmpty() ? "" : "; " + errors.size() + " input" + (errors.size() == 1 ? "" : "s") + " unreadable (see stderr)"));
  }

  private static String detail(Problem p) {
    if (p instanceof Problem.CrcMismatch c) {
      return " (module " + c.moduleCrc() + ", " + ("vmlinux".equals(c.exporter()) ? "kernel" : c.exporter()) + " " + c.kernelCrc() + ")";
    }
    if (p instanceof Problem.ModuleLayoutMismatch l) {
      return " (module " + l.moduleCrc() + ", kernel " + l.kernelCrc() + ")";
    }
    if (p instanceof Problem.ProviderUnloadable u) {
      return " (provider " + u.provider() + " cannot load)";
    }
    if (p instanceof Problem.GplOnlySymbol g) {
      return " (" + g.symbol() + " is " + ExportType.EXPORT_SYMBOL_GPL.name() + " in " + g.exporter() + "; licence '" + g.license() + "')";
    }
    return "";
  }
}
