package org.kmodkit.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.Printable;
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

/** The JSON schemas scripts rely on (documented in docs/json.md, checked by JsonDocsTest); field names never change within a version. */
final class JsonOutput {
  static final String CHECK_SCHEMA = "kmodkit.check/1";
  static final String INSPECT_SCHEMA = "kmodkit.inspect/1";

  private JsonOutput() {}

  /** A visitor's step that writes JSON (a visitor's methods throw no checked exception). */
  interface Write {
    void to() throws IOException;
  }

  /** Runs {@code w}; an IOException leaves as the UncheckedIOException every renderer turns it into anyway. */
  static Void io(Write w) {
    try {
      w.to();
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What writes a document's fields. */
  interface Fields {
    void to(JsonGenerator g) throws IOException;
  }

  /**
   * One JSON document on {@code out}: an object holding what {@code fields} writes, then a newline;
   * an IOException leaves as an UncheckedIOException.
   */
  static void document(PrintWriter out, Fields fields) {
    try (JsonGenerator g = open(out)) {
      g.writeStartObject();
      fields.to(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.println();
  }

  private static JsonGenerator open(PrintWriter out) throws IOException {
    JsonGenerator g = new JsonFactory().createGenerator(out);
    g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    g.useDefaultPrettyPrinter();
    g.setCharacterEscapes(SAFE);
    return g;
  }

  /**
   * JSON escapes C0 controls itself; DEL, C1 controls (U+009B is a CSI) and the invisible format
   * characters are valid raw in JSON but drive or mislead a terminal showing it: escape them too.
   */
  private static final CharacterEscapes SAFE = new CharacterEscapes() {
    private static final long serialVersionUID = 1L;
    private final int[] ascii = withDel();

    private static int[] withDel() {
      int[] codes = standardAsciiEscapesForJSON();
      codes[0x7f] = ESCAPE_STANDARD;
      return codes;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int c) {
      return Printable.unsafe(c) ? new SerializedString(String.format("\\u%04X", c)) : null;
    }
  };

  static void inspect(PrintWriter out, List<InspectCommand.Inspected> all) {
    document(out, g -> {
      g.writeStringField("schema", INSPECT_SCHEMA);
      g.writeArrayFieldStart("modules");
      for (InspectCommand.Inspected i : all) {
        if (i.module() != null) {
          module(g, i.module().module());
        }
      }
      g.writeEndArray();
      g.writeArrayFieldStart("images");
      for (InspectCommand.Inspected i : all) {
        if (i.image() != null) {
          image(g, i.image());
        }
      }
      g.writeEndArray();
      errors(g, all.stream().filter(i -> i.error() != null).map(InspectCommand.Inspected::error).toList());
    });
  }

  private static void module(JsonGenerator g, ModuleFile m) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", m.name());
    g.writeStringField("path", m.path());
    g.writeObjectFieldStart("elf");
    g.writeNumberField("bits", m.arch().bits());
    g.writeStringField("endian", m.arch().littleEndian() ? "little" : "big");
    g.writeStringField("machine", m.arch().machineName());
    g.writeEndObject();
    g.writeStringField("compression", m.compression().name().toLowerCase());
    g.writeArrayFieldStart("modinfo");
    for (Map.Entry<String, String> e : m.modinfo().entries()) {
      g.writeStartObject();
      g.writeStringField("key", e.getKey());
      g.writeStringField("value", e.getValue());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeStringField("versions_kind", m.versionsKind().name().toLowerCase());
    g.writeArrayFieldStart("versions");
    for (SymbolVersion v : m.versions()) {
      g.writeStartObject();
      g.writeStringField("symbol", v.name());
      g.writeStringField("crc", v.crc().toString());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("exports");
    for (KernelSymbol s : m.exports()) {
      g.writeStartObject();
      g.writeStringField("symbol", s.name());
      g.writeStringField("crc", s.crc() == null ? null : s.crc().toString());
      g.writeStringField("type", s.type().name());
      g.writeStringField("namespace", s.namespace());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("imports");
    for (Import i : m.imports()) {
      g.writeStartObject();
      g.writeStringField("symbol", i.name());
      g.writeBooleanField("weak", i.weak());
      g.writeEndObject();
    }
    g.writeEndArray();
    if (m.signature().isPresent()) {
      ModuleSignature s = m.signature().get();
      g.writeObjectFieldStart("signature");
      g.writeStringField("signer", s.signer());
      g.writeStringField("key_id", s.keyId());
      g.writeStringField("hash", s.hashAlgorithm());
      g.writeNumberField("id_type", s.idType());
      g.writeNumberField("bytes", s.signatureBytes());
      g.writeEndObject();
    } else {
      g.writeNullField("signature");
    }
    g.writeEndObject();
  }

  private static void image(JsonGenerator g, KernelImage img) throws IOException {
    g.writeStartObject();
    g.writeStringField("path", img.source());
    g.writeStringField("release", img.release());
    g.writeStringField("banner", img.banner());
    g.writeStringField("format", img.format());
    g.writeStringField("compression", img.compression().label());
    g.writeStringField("machine", img.arch().machineName());
    g.writeNumberField("vmlinux_bytes", img.vmlinuxBytes());
    g.writeArrayFieldStart("namespaces");
    for (String ns : img.namespaces()) {
      g.writeString(ns);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("exports");
    for (KernelSymbol s : img.exports()) {
      g.writeStartObject();
      g.writeStringField("symbol", s.name());
      g.writeStringField("crc", s.crc() == null ? null : s.crc().toString());
      g.writeStringField("type", s.type().name());
      g.writeStringField("namespace", s.namespace());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  static void check(PrintWriter out, KernelAbi abi, List<SetVerdict> sets, List<BadInputException> errors, ExitCode code) {
    document(out, g -> {
      g.writeStringField("schema", CHECK_SCHEMA);
      g.writeObjectFieldStart("kernel");
      g.writeStringField("release", abi.release());
      g.writeStringField("vermagic", abi.vermagic());
      g.writeBooleanField("modversions", abi.modversions());
      g.writeNumberField("vmlinux_symbols", abi.vmlinuxSymbols().size());
      g.writeNumberField("module_symbols", abi.moduleSymbols().size());
      g.writeArrayFieldStart("sources");
      for (String s : abi.sources()) {
        g.writeString(s);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("notes");
      for (String n : abi.notes()) {
        g.writeString(n);
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeArrayFieldStart("sets");
      long total = 0;
      long loads = 0;
      for (SetVerdict set : sets) {
        total += set.modules().size();
        loads += set.loadable();
        g.writeStartObject();
        g.writeStringField("name", set.name());
        g.writeBooleanField("loads", set.loads());
        g.writeArrayFieldStart("modules");
        for (ModuleVerdict v : set.modules()) {
          verdict(g, v);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      errors(g, errors);
      g.writeObjectFieldStart("summary");
      g.writeNumberField("modules", total);
      g.writeNumberField("load", loads);
      g.writeNumberField("fail", total - loads);
      g.writeNumberField("unreadable", errors.size());
      g.writeNumberField("exit_code", code.code());
      g.writeEndObject();
    });
  }

  static void verdict(JsonGenerator g, ModuleVerdict v) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", v.name());
    g.writeStringField("path", v.module().path());
    g.writeBooleanField("loads", v.loads());
    g.writeStringField("vermagic", v.module().vermagic());
    g.writeNumberField("symbols", v.symbols());
    g.writeNumberField("differing", v.differing());
    g.writeArrayFieldStart("needs");
    for (String n : v.needs()) {
      g.writeString(n);
    }
    g.writeEndArray();
    g.writeStringField("summary", ProblemWords.summary(v));
    g.writeStringField("next_step", v.loads() ? null : ProblemWords.nextStep(v));
    g.writeArrayFieldStart("problems");
    for (Problem p : v.problems()) {
      problem(g, p, v.name());
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void problem(JsonGenerator g, Problem p, String module) throws IOException {
    g.writeStartObject();
    g.writeStringField("kind", p.kind());
    g.writeStringField("severity", p.severity().name().toLowerCase());
    g.writeStringField("symbol", p.symbol());
    for (Map.Entry<String, String> f : p.accept(FIELDS).entrySet()) {
      g.writeStringField(f.getKey(), f.getValue());
    }
    g.writeStringField("message", p.kernelMessage(module));
    g.writeEndObject();
  }

  /** Each kind's own fields (kmodkit.check/1), in schema order. */
  private static final Problem.Visitor<Map<String, String>> FIELDS = new Problem.Visitor<>() {
    @Override
    public Map<String, String> visit(Problem.CrcMismatch p) {
      return fields("module_crc", p.moduleCrc().toString(), "kernel_crc", p.kernelCrc().toString(), "exporter", p.exporter());
    }

    @Override
    public Map<String, String> visit(Problem.ModuleLayoutMismatch p) {
      return fields("module_crc", p.moduleCrc().toString(), "kernel_crc", p.kernelCrc().toString(), "exporter", "vmlinux");
    }

    @Override
    public Map<String, String> visit(Problem.UnknownSymbol p) {
      return fields();
    }

    @Override
    public Map<String, String> visit(Problem.GplOnlySymbol p) {
      return fields("exporter", p.exporter(), "license", p.license());
    }

    @Override
    public Map<String, String> visit(Problem.NamespaceNotImported p) {
      return fields("namespace", p.namespace());
    }

    @Override
    public Map<String, String> visit(Problem.NoSymbolVersion p) {
      return fields();
    }

    @Override
    public Map<String, String> visit(Problem.VermagicMismatch p) {
      return fields("module_vermagic", p.moduleMagic(), "kernel_vermagic", p.kernelMagic());
    }

    @Override
    public Map<String, String> visit(Problem.ForcedLoad p) {
      return fields();
    }

    @Override
    public Map<String, String> visit(Problem.DuplicateExport p) {
      return fields("owner", p.owner());
    }

    @Override
    public Map<String, String> visit(Problem.ProviderUnloadable p) {
      return fields("provider", p.provider());
    }

    @Override
    public Map<String, String> visit(Problem.MissingDependency p) {
      return fields("dependency", p.dependency());
    }
  };

  private static Map<String, String> fields(String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  private static void errors(JsonGenerator g, List<BadInputException> errors) throws IOException {
    g.writeArrayFieldStart("errors");
    for (BadInputException e : errors) {
      g.writeStartObject();
      g.writeStringField("file", e.file());
      g.writeStringField("message", e.getMessage());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  static void weak(PrintWriter out, WeakUpdates.Result r) {
    document(out, g -> {
      g.writeStringField("schema", "kmodkit.weak/1");
      g.writeBooleanField("applied", r.outcome() != null);
      g.writeArrayFieldStart("kernels");
      for (Plan.KernelPlan kp : r.plan().kernels()) {
        g.writeStartObject();
        g.writeStringField("release", kp.release());
        g.writeStringField("change", kp.change().name().toLowerCase());
        g.writeArrayFieldStart("links");
        for (Inventory.Link l : kp.links()) {
          g.writeStartObject();
          g.writeStringField("path", "weak-updates/kmodkit/" + l.path());
          g.writeStringField("target", l.target());
          g.writeStringField("set", l.set());
          g.writeStringField("from", l.targetRelease());
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("overrides");
        for (String o : kp.overrides()) {
          g.writeString(o);
        }
        g.writeEndArray();
        decisions(g, kp.decisions());
        g.writeArrayFieldStart("changed_modules");
        for (String m : kp.changedModules()) {
          g.writeString(m);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("notes");
      for (String n : r.plan().notes()) {
        g.writeString(n);
      }
      if (r.outcome() != null) {
        for (String n : r.outcome().notes()) {
          g.writeString(n);
        }
      }
      g.writeEndArray();
    });
  }

  private static void decisions(JsonGenerator g, List<Plan.SetDecision> ds) throws IOException {
    g.writeArrayFieldStart("sets");
    for (Plan.SetDecision d : ds) {
      g.writeStartObject();
      g.writeStringField("set", d.set());
      g.writeStringField("state", d.state().name().toLowerCase());
      g.writeArrayFieldStart("from");
      for (String f : d.from()) {
        g.writeString(f);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("modules");
      for (String m : d.modules()) {
        g.writeString(m);
      }
      g.writeEndArray();
      g.writeStringField("reason", d.reason());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  static void status(PrintWriter out, Sysroot root, Status st) {
    document(out, g -> {
      g.writeStringField("schema", "kmodkit.status/1");
      g.writeStringField("root", root.root().toString());
      g.writeArrayFieldStart("kernels");
      for (String k : st.kernels()) {
        g.writeString(k);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("sets");
      for (String set : st.sets()) {
        g.writeStartObject();
        g.writeStringField("name", set);
        g.writeObjectFieldStart("kernels");
        for (String k : st.kernels()) {
          Status.Cell c = st.cell(set, k);
          g.writeObjectFieldStart(k);
          g.writeStringField("state", c.state().name().toLowerCase());
          g.writeArrayFieldStart("from");
          for (String f : c.from()) {
            g.writeString(f);
          }
          g.writeEndArray();
          g.writeStringField("detail", c.detail());
          g.writeBooleanField("stale", c.stale());
          g.writeBooleanField("by_other_tool", c.byOtherTool());
          g.writeEndObject();
        }
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("notes");
      for (String n : st.notes()) {
        g.writeString(n);
      }
      g.writeEndArray();
    });
  }

  static void preflight(PrintWriter out, String release, Plan.KernelPlan kp) {
    document(out, g -> {
      g.writeStringField("schema", "kmodkit.preflight/1");
      g.writeStringField("release", release);
      decisions(g, kp.decisions());
    });
  }
}
