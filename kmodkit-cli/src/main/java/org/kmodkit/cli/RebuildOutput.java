package org.kmodkit.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.kmodkit.core.build.BuildPlan;
import org.kmodkit.core.build.BuildReport;
import org.kmodkit.core.build.BuildResult;
import org.kmodkit.core.build.DriverSource;
import org.kmodkit.core.build.KernelTarget;

/**
 * The rebuild report: text for people, JSON ({@value #SCHEMA}, docs/json.md) for scripts and
 * report.json; and a dry run's plan, as text or JSON ({@value #PLAN_SCHEMA}).
 */
final class RebuildOutput {
  static final String SCHEMA = "kmodkit.rebuild/1";
  static final String PLAN_SCHEMA = "kmodkit.rebuild-plan/1";

  private RebuildOutput() {}

  /** "1 job slot", "4 job slots": how many builds and makes may run at once (-j). */
  static String jobSlots(int n) {
    return n + (n == 1 ? " job slot" : " job slots");
  }

  static void text(PrintWriter out, Rebuild.Outcome o, Path reportFile) {
    BuildReport r = o.report();
    out.printf("rebuilt %d %s for %d %s in %s on %s: %d built, %d failed, %d skipped%n",
        o.drivers().size(), o.drivers().size() == 1 ? "driver" : "drivers", o.kernels().size(), o.kernels().size() == 1 ? "kernel" : "kernels",
        ProgressDisplay.seconds(r.wall().toNanos()), jobSlots(r.jobs()), r.built(), r.failed(), r.skipped());
    for (BuildResult b : r.results()) {
      b.accept(new BuildResult.Visitor<Void>() {
        @Override
        public Void visit(BuildResult.Built ok) {
          for (BuildResult.Module m : ok.modules()) {
            TextOutput.line(out, String.format("  ok    %s: %s (%s%s)", ok.item().id(), m.file(), ProgressDisplay.seconds(ok.duration().toNanos()), m.signed() ? ", signed" : ""));
          }
          for (Path p : ok.packages()) {
            TextOutput.line(out, String.format("  ok    %s: %s", ok.item().id(), p));
          }
          return null;
        }

        @Override
        public Void visit(BuildResult.Failed f) {
          TextOutput.line(out, String.format("  FAIL  %s: %s", f.item().id(), ProblemWords.reason(f)));
          for (String l : f.errorLines()) {
            TextOutput.line(out, "          " + l);
          }
          TextOutput.line(out, "          log: " + f.item().log());
          TextOutput.line(out, "          build directory kept: " + f.item().buildDir());
          return null;
        }

        @Override
        public Void visit(BuildResult.Skipped s) {
          TextOutput.line(out, String.format("  skip  %s: %s", s.item().id(), s.item().reason()));
          return null;
        }
      });
    }
    if (reportFile != null) {
      TextOutput.line(out, "report: " + reportFile);
    }
  }

  static void plan(PrintWriter out, Rebuild.Outcome o) {
    TextOutput.line(out, String.format("plan: %d %s for %d %s", o.drivers().size(), o.drivers().size() == 1 ? "driver" : "drivers", o.kernels().size(), o.kernels().size() == 1 ? "kernel" : "kernels"));
    for (KernelTarget k : o.kernels()) {
      TextOutput.line(out, String.format("  kernel %s (%s, %s): make -C %s", k.release(), k.arch(), k.compiler(), k.buildDir()));
    }
    for (BuildPlan.Item i : o.plan().items()) {
      i.accept(new BuildPlan.Item.Visitor<Void>() {
        @Override
        public Void visit(BuildPlan.Build b) {
          TextOutput.line(out, String.format("  build %s in %s", b.id(), b.buildDir()));
          for (BuildPlan.Step s : b.steps()) {
            TextOutput.line(out, String.format("    %s: %s", s.name(), s.command()));
          }
          for (BuildPlan.ExpectedModule m : b.modules()) {
            TextOutput.line(out, String.format("    module %s.ko -> %s%s", m.builtName(), b.outDir().resolve(m.destName() + ".ko"), m.installPath() == null ? "" : " (DKMS installs it as " + m.installPath() + ")"));
          }
          if (b.packageDir().isPresent()) {
            TextOutput.line(out, String.format("    every .ko its RPMs hold -> %s/, the RPMs -> %s/", b.outDir(), b.packageDir().get()));
          } else if (b.modules().isEmpty()) {
            TextOutput.line(out, String.format("    every .ko made -> %s/", b.outDir()));
          }
          return null;
        }

        @Override
        public Void visit(BuildPlan.Skip s) {
          TextOutput.line(out, String.format("  skip %s: %s", s.id(), s.reason()));
          return null;
        }
      });
    }
  }

  /** The report as JSON text; {@code extra} adds top-level string fields (add-kernel-support's bundle). */
  static String json(Rebuild.Outcome o, ExitCode code, Map<String, String> extra) {
    return json(o, code, extra, Map.of());
  }

  /** With {@code tables}: arrays of objects of string fields after {@code extra} (add-kernel-support's bundle_found, bundle_skipped). */
  static String json(Rebuild.Outcome o, ExitCode code, Map<String, String> extra, Map<String, List<Map<String, String>>> tables) {
    StringWriter sw = new StringWriter();
    PrintWriter out = new PrintWriter(sw);
    BuildReport r = o.report();
    JsonOutput.document(out, g -> {
      g.writeStringField("schema", SCHEMA);
      for (Map.Entry<String, String> e : extra.entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      for (Map.Entry<String, List<Map<String, String>>> t : tables.entrySet()) {
        g.writeArrayFieldStart(t.getKey());
        for (Map<String, String> row : t.getValue()) {
          g.writeStartObject();
          for (Map.Entry<String, String> f : row.entrySet()) {
            g.writeStringField(f.getKey(), f.getValue());
          }
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeNumberField("jobs", r.jobs());
      g.writeNumberField("wall_seconds", round(r.wall().toNanos() / 1e9));
      g.writeNumberField("kmodkit_cpu_seconds", round(o.cpuSeconds()));
      g.writeStringField("signer", o.signer() == null ? null : o.signer().signer());
      kernelsAndDrivers(g, o);
      g.writeArrayFieldStart("builds");
      for (BuildResult b : r.results()) {
        build(g, b);
      }
      g.writeEndArray();
      g.writeObjectFieldStart("summary");
      g.writeNumberField("builds", r.results().size());
      g.writeNumberField("built", r.built());
      g.writeNumberField("failed", r.failed());
      g.writeNumberField("skipped", r.skipped());
      g.writeNumberField("exit_code", code.code());
      g.writeEndObject();
    });
    out.flush();
    return sw.toString();
  }

  /** The kernels built for and the driver sources, as both schemas have them. */
  private static void kernelsAndDrivers(JsonGenerator g, Rebuild.Outcome o) throws IOException {
    g.writeArrayFieldStart("kernels");
    for (KernelTarget k : o.kernels()) {
      g.writeStartObject();
      g.writeStringField("release", k.release());
      g.writeStringField("arch", k.arch());
      g.writeStringField("compiler", k.compiler());
      g.writeStringField("build_dir", k.buildDir().toString());
      g.writeStringField("origin", k.origin());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("drivers");
    for (DriverSource d : o.drivers()) {
      g.writeStartObject();
      g.writeStringField("name", d.name());
      g.writeStringField("version", d.version());
      g.writeStringField("kind", d.kind());
      g.writeStringField("source", d.dir().toString());
      g.writeStringField("origin", d.origin());
      g.writeStringField("dkms_conf_confinement", d instanceof DriverSource.Dkms k ? k.shell().confinement().description() : null);
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /**
   * The plan of a {@code --dry-run} as JSON ({@value #PLAN_SCHEMA}): what each build would run and
   * write, or why it is skipped; nothing has run.
   */
  static void planJson(PrintWriter out, Rebuild.Outcome o, int jobs) {
    JsonOutput.document(out, g -> {
      g.writeStringField("schema", PLAN_SCHEMA);
      g.writeNumberField("jobs", jobs);
      g.writeStringField("signer", o.signer() == null ? null : o.signer().signer());
      kernelsAndDrivers(g, o);
      g.writeArrayFieldStart("builds");
      for (BuildPlan.Item i : o.plan().items()) {
        g.writeStartObject();
        g.writeStringField("driver", i.driver().name());
        g.writeStringField("version", i.driver().version());
        g.writeStringField("kernel", i.kernel().release());
        BuildPlan.Build b = i instanceof BuildPlan.Build build ? build : null;
        g.writeStringField("status", b != null ? "planned" : "skipped");
        g.writeStringField("reason", i instanceof BuildPlan.Skip skip ? skip.reason() : null);
        g.writeStringField("build_dir", b == null ? null : b.buildDir().toString());
        g.writeStringField("log", b == null ? null : b.log().toString());
        g.writeStringField("out_dir", b == null ? null : b.outDir().toString());
        g.writeStringField("package_dir", b == null ? null : b.packageDir().map(Path::toString).orElse(null));
        g.writeArrayFieldStart("steps");
        for (BuildPlan.Step step : b == null ? List.<BuildPlan.Step>of() : b.steps()) {
          g.writeStartObject();
          g.writeStringField("name", step.name());
          g.writeStringField("command", step.command());
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("modules");
        for (BuildPlan.ExpectedModule m : b == null ? List.<BuildPlan.ExpectedModule>of() : b.modules()) {
          g.writeStartObject();
          g.writeStringField("name", m.builtName());
          g.writeStringField("file", b.outDir().resolve(m.destName() + ".ko").toString());
          g.writeStringField("install_path", m.installPath());
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
    });
    out.flush();
  }

  private static void build(JsonGenerator g, BuildResult b) throws IOException {
    g.writeStartObject();
    g.writeStringField("driver", b.item().driver().name());
    g.writeStringField("version", b.item().driver().version());
    g.writeStringField("kernel", b.item().kernel().release());
    List<BuildResult.Module> modules = b.accept(new BuildResult.Visitor<List<BuildResult.Module>>() {
      @Override
      public List<BuildResult.Module> visit(BuildResult.Built ok) {
        JsonOutput.io(() -> {
          g.writeStringField("status", "built");
          times(g, ok.duration().toNanos(), ok.processTime().toNanos());
          g.writeStringField("log", ok.item().log().toString());
          g.writeStringField("reason", null);
          g.writeArrayFieldStart("packages");
          for (Path p : ok.packages()) {
            g.writeString(p.toString());
          }
          g.writeEndArray();
        });
        return ok.modules();
      }

      @Override
      public List<BuildResult.Module> visit(BuildResult.Failed f) {
        JsonOutput.io(() -> {
          g.writeStringField("status", "failed");
          times(g, f.duration().toNanos(), f.processTime().toNanos());
          g.writeStringField("log", f.item().log().toString());
          g.writeStringField("reason", ProblemWords.reason(f));
          g.writeStringField("build_dir", f.item().buildDir().toString());
          g.writeArrayFieldStart("error_lines");
          for (String l : f.errorLines()) {
            g.writeString(l);
          }
          g.writeEndArray();
        });
        return f.modules();
      }

      @Override
      public List<BuildResult.Module> visit(BuildResult.Skipped s) {
        JsonOutput.io(() -> {
          g.writeStringField("status", "skipped");
          g.writeNumberField("duration_seconds", 0);
          g.writeStringField("log", null);
          g.writeStringField("reason", s.item().reason());
        });
        return List.of();
      }
    });
    g.writeArrayFieldStart("modules");
    for (BuildResult.Module m : modules) {
      g.writeStartObject();
      g.writeStringField("name", m.name());
      g.writeStringField("file", m.file().toString());
      g.writeStringField("install_path", m.installPath());
      g.writeBooleanField("signed", m.signed());
      g.writeBooleanField("loads", m.verdict().loads());
      g.writeFieldName("check");
      JsonOutput.verdict(g, m.verdict());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void times(JsonGenerator g, long duration, long process) throws IOException {
    g.writeNumberField("duration_seconds", round(duration / 1e9));
    g.writeNumberField("process_seconds", round(process / 1e9));
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
