package org.kmodkit.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.verify.BootOutcome;
import org.kmodkit.core.verify.BootPlan;
import org.kmodkit.core.verify.LoadOutcome;
import org.kmodkit.core.verify.ModuleResult;
import org.kmodkit.core.verify.Refusal;
import org.kmodkit.core.verify.UnloadOutcome;
import org.kmodkit.core.verify.VerifyReport;
import org.kmodkit.core.verify.VmKernel;

/** {@code kmodkit.verify/1}, documented in docs/json.md; field names never change within a version. */
final class VerifyJson {
  static final String SCHEMA = "kmodkit.verify/1";

  private VerifyJson() {}

  static void write(PrintWriter out, VmKernel kernel, String label, String tree, VerifyReport r, List<BadInputException> errors, ExitCode code) {
    JsonOutput.document(out, g -> {
      g.writeStringField("schema", SCHEMA);
      g.writeObjectFieldStart("kernel");
      g.writeStringField("release", kernel.release());
      g.writeStringField("given", label);
      g.writeStringField("tree", tree);
      g.writeStringField("accel", r.accel().name().toLowerCase());
      g.writeEndObject();
      g.writeObjectFieldStart("run");
      BootOutcome o = r.outcome();
      g.writeStringField("outcome", o.accept(OUTCOME));
      g.writeStringField("message", o instanceof BootOutcome.Completed ? null : VerifyText.outcome(r));
      g.writeBooleanField("booted", r.booted());
      g.writeStringField("guest_release", r.release());
      g.writeNumberField("boot_seconds", r.bootSeconds());
      g.writeNumberField("wall_seconds", r.wallSeconds());
      g.writeNumberField("tainted_at_boot", r.taintedAtBoot());
      g.writeNumberField("tainted_at_end", r.taintedAtEnd());
      g.writeStringField("console_log", r.consoleLog() == null ? null : r.consoleLog().toString());
      g.writeArrayFieldStart("last_lines");
      for (String l : r.lastLines()) {
        g.writeString(l);
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeArrayFieldStart("sets");
      for (BootPlan.Unit u : r.plan().units()) {
        g.writeStartObject();
        g.writeStringField("name", u.set());
        g.writeArrayFieldStart("modules");
        for (BootPlan.Step s : u.steps()) {
          module(g, r.modules().get(s.id() - 1));
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("missing");
      for (BootPlan.MissingDependency d : r.plan().missing()) {
        g.writeStartObject();
        g.writeStringField("set", d.set());
        g.writeStringField("module", d.module());
        g.writeStringField("dependency", d.dependency());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("errors");
      for (BadInputException e : errors) {
        g.writeStartObject();
        g.writeStringField("file", e.file());
        g.writeStringField("message", e.getMessage());
        g.writeEndObject();
      }
      g.writeEndArray();
      List<ModuleResult> req = r.requested();
      long ok = req.stream().filter(ModuleResult::ok).count();
      g.writeObjectFieldStart("summary");
      g.writeNumberField("requested", req.size());
      g.writeNumberField("ok", ok);
      g.writeNumberField("failed", req.size() - ok);
      g.writeNumberField("unreadable", errors.size());
      g.writeNumberField("exit_code", code.code());
      g.writeEndObject();
    });
  }

  private static void module(JsonGenerator g, ModuleResult m) throws IOException {
    BootPlan.Step s = m.step();
    g.writeStartObject();
    g.writeStringField("name", s.name());
    g.writeStringField("source", s.source());
    g.writeStringField("origin", s.origin().name().toLowerCase());
    g.writeBooleanField("requested", s.requested());
    g.writeBooleanField("ok", m.ok());
    g.writeFieldName("load");
    load(g, m.load());
    g.writeFieldName("unload");
    unload(g, m.unload());
    g.writeFieldName("reload");
    load(g, m.reload());
    g.writeArrayFieldStart("kernel_log");
    for (String l : m.kernelLog()) {
      g.writeString(l);
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  /** The run's outcome as kmodkit.verify/1 names it. */
  private static final BootOutcome.Visitor<String> OUTCOME = new BootOutcome.Visitor<>() {
    @Override
    public String visit(BootOutcome.Completed o) {
      return "completed";
    }

    @Override
    public String visit(BootOutcome.KernelPanic o) {
      return "kernel_panic";
    }

    @Override
    public String visit(BootOutcome.TimedOut o) {
      return "timed_out";
    }

    @Override
    public String visit(BootOutcome.VmExited o) {
      return "vm_exited";
    }
  };

  private static void load(JsonGenerator g, LoadOutcome o) throws IOException {
    g.writeStartObject();
    o.accept(new LoadOutcome.Visitor<Void>() {
      @Override
      public Void visit(LoadOutcome.Loaded l) {
        return JsonOutput.io(() -> {
          g.writeStringField("result", "loaded");
          g.writeStringField("taint", l.taint());
        });
      }

      @Override
      public Void visit(LoadOutcome.Refused f) {
        return JsonOutput.io(() -> {
          g.writeStringField("result", "refused");
          g.writeNumberField("errno", f.errno());
          g.writeStringField("message", f.insmod());
          g.writeArrayFieldStart("reasons");
          for (Refusal x : f.reasons()) {
            g.writeStartObject();
            g.writeStringField("kind", x.kind());
            g.writeStringField("symbol", x.symbol());
            g.writeStringField("message", x.message());
            g.writeEndObject();
          }
          g.writeEndArray();
        });
      }

      @Override
      public Void visit(LoadOutcome.KernelStopped k) {
        return stopped(g, k.how());
      }

      @Override
      public Void visit(LoadOutcome.NotTried n) {
        return notTried(g, n.why());
      }
    });
    g.writeEndObject();
  }

  private static void unload(JsonGenerator g, UnloadOutcome o) throws IOException {
    g.writeStartObject();
    o.accept(new UnloadOutcome.Visitor<Void>() {
      @Override
      public Void visit(UnloadOutcome.Unloaded u) {
        return JsonOutput.io(() -> g.writeStringField("result", "unloaded"));
      }

      @Override
      public Void visit(UnloadOutcome.StillLoaded s) {
        return JsonOutput.io(() -> {
          g.writeStringField("result", "still_loaded");
          g.writeNumberField("errno", s.errno());
          g.writeStringField("message", s.rmmod());
        });
      }

      @Override
      public Void visit(UnloadOutcome.KernelStopped k) {
        return stopped(g, k.how());
      }

      @Override
      public Void visit(UnloadOutcome.NotTried n) {
        return notTried(g, n.why());
      }
    });
    g.writeEndObject();
  }

  private static Void stopped(JsonGenerator g, String how) {
    return JsonOutput.io(() -> {
      g.writeStringField("result", "kernel_stopped");
      g.writeStringField("message", how);
    });
  }

  private static Void notTried(JsonGenerator g, String why) {
    return JsonOutput.io(() -> {
      g.writeStringField("result", "not_tried");
      g.writeStringField("message", why);
    });
  }
}
