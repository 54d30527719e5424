package org.kmodkit.cli;

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

/** The text report of {@code kmodkit verify}: what the booted kernel said, module by module. */
final class VerifyText {
  /** The kernel's taint letters by bit (kernel/panic.c taint_flags). */
  private static final String TAINT_LETTERS = "PFSRMBUDAWCIOELKXT";

  private VerifyText() {}

  static void write(PrintWriter out, VmKernel kernel, String label, String tree, VerifyReport r, List<BadInputException> errors, boolean verbose) {
    TextOutput.line(out, "kernel " + kernel.release() + " (" + label + ")"
        + (r.booted() ? ": booted in " + r.bootSeconds() + " s" : ": did not boot to kmodkit's init")
        + " under QEMU (" + r.accel().name().toLowerCase() + ", no network), " + String.format("%.1f", r.wallSeconds()) + " s in all");
    TextOutput.line(out, "  modules from " + (tree == null ? "the given sets only (no module tree for this vmlinuz; --root names one)" : tree));
    for (BootPlan.Unit unit : r.plan().units()) {
      out.println();
      TextOutput.line(out, "set " + unit.set() + ":");
      for (BootPlan.Step step : unit.steps()) {
        ModuleResult m = r.modules().get(step.id() - 1);
        String who = step.name() + (step.requested() ? "" : " (needed" + (step.origin() == BootPlan.Origin.TREE ? ", from the kernel's tree" : "") + ")");
        TextOutput.line(out, "  " + (m.ok() ? "ok   " : step.requested() ? "FAIL " : "--   ") + who + ": " + summary(m));
        if (!m.loaded() || verbose) {
          for (String line : verbose ? m.kernelLog() : reasons(m.load())) {
            TextOutput.line(out, "         " + line);
          }
        }
        if (verbose) {
          TextOutput.line(out, "         file: " + step.source());
        }
      }
      for (BootPlan.MissingDependency d : r.plan().missing()) {
        if (d.set().equals(unit.set())) {
          TextOutput.line(out, "  missing: " + d.module() + " needs " + d.dependency() + ", which neither this set nor kernel " + kernel.release() + " has");
        }
      }
    }
    if (!(r.outcome() instanceof BootOutcome.Completed)) {
      out.println();
      TextOutput.line(out, "the run did not complete: " + outcome(r) + "; last console lines:");
      for (String l : r.lastLines()) {
        TextOutput.line(out, "  | " + l);
      }
    }
    List<ModuleResult> req = r.requested();
    long ok = req.stream().filter(ModuleResult::ok).count();
    out.println();
    TextOutput.line(out, req.size() + " module" + (req.size() == 1 ? "" : "s") + " requested: " + ok + " loaded, unloaded and reloaded, " + (req.size() - ok) + " did not"
        + (r.taintedAtEnd() >= 0 ? "; kernel taint at the end " + r.taintedAtEnd() + taintLetters(r.taintedAtEnd()) : "")
        + (errors.isEmpty() ? "" : "; " + errors.size() + " input" + (errors.size() == 1 ? "" : "s") + " unreadable (see stderr)"));
    TextOutput.line(out, "console log: " + r.consoleLog());
  }

  static String outcome(VerifyReport r) {
    return r.outcome().accept(new BootOutcome.Visitor<String>() {
      @Override
      public String visit(BootOutcome.Completed o) {
        return "completed";
      }

      @Override
      public String visit(BootOutcome.KernelPanic o) {
        return "kernel panic (" + o.message() + ")" + during(r);
      }

      @Override
      public String visit(BootOutcome.TimedOut o) {
        return "no end after " + o.seconds() + " s: kmodkit stopped the VM" + during(r);
      }

      @Override
      public String visit(BootOutcome.VmExited o) {
        return "QEMU exited with code " + o.exitCode() + " before the guest finished" + during(r);
      }
    });
  }

  private static String during(VerifyReport r) {
    for (ModuleResult m : r.modules()) {
      if (m.load() instanceof LoadOutcome.KernelStopped || m.unload() instanceof UnloadOutcome.KernelStopped || m.reload() instanceof LoadOutcome.KernelStopped) {
        return " while " + (m.load() instanceof LoadOutcome.KernelStopped ? "loading " : m.unload() instanceof UnloadOutcome.KernelStopped ? "unloading " : "reloading ") + m.name();
      }
    }
    return "";
  }

  static String summary(ModuleResult m) {
    return m.load().accept(LOAD) + (m.loaded() ? m.unload().accept(new UnloadOutcome.Visitor<String>() {
      @Override
      public String visit(UnloadOutcome.Unloaded o) {
        return ", unloaded, " + (m.reloaded() ? "reloaded" : "reload " + m.reload().accept(LOAD));
      }

      @Override
      public String visit(UnloadOutcome.StillLoaded o) {
        return ", could not be unloaded (" + (o.rmmod().isEmpty() ? "errno " + o.errno() : o.rmmod()) + ")";
      }

      @Override
      public String visit(UnloadOutcome.KernelStopped o) {
        return ", the kernel stopped while unloading it";
      }

      @Override
      public String visit(UnloadOutcome.NotTried o) {
        return ", not unloaded (" + o.why() + ")";
      }
    }) : "");
  }

  private static final LoadOutcome.Visitor<String> LOAD = new LoadOutcome.Visitor<>() {
    @Override
    public String visit(LoadOutcome.Loaded o) {
      return "loaded" + (o.taint().isEmpty() ? "" : " (taint " + o.taint() + ")");
    }

    @Override
    public String visit(LoadOutcome.Refused o) {
      return "refused" + (o.insmod().isEmpty() ? " (errno " + o.errno() + ")" : ": " + o.insmod());
    }

    @Override
    public String visit(LoadOutcome.KernelStopped o) {
      return "the kernel stopped while loading it: " + o.how();
    }

    @Override
    public String visit(LoadOutcome.NotTried o) {
      return "not tried (" + o.why() + ")";
    }
  };

  private static List<String> reasons(LoadOutcome o) {
    return o instanceof LoadOutcome.Refused f ? f.reasons().stream().map(Refusal::message).toList() : List.of();
  }

  static String taintLetters(long tainted) {
    StringBuilder s = new StringBuilder();
    for (int bit = 0; bit < TAINT_LETTERS.length(); bit++) {
      if ((tainted & (1L << bit)) != 0) {
        s.append(TAINT_LETTERS.charAt(bit));
      }
    }
    return s.length() == 0 ? "" : " (" + s + ")";
  }
}
