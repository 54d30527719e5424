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
        if (!(m.load() instanceof LoadOutcome.Loaded) || verbose) {
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
    BootOutcome o = r.outcome();
    if (o instanceof BootOutcome.KernelPanic p) {
      return "kernel panic (" + p.message() + ")" + during(r);
    }
    if (o instanceof BootOutcome.TimedOut t) {
      return "no end after " + t.seconds() + " s: kmodkit stopped the VM" + during(r);
    }
    if (o instanceof BootOutcome.VmExited e) {
      return "QEMU exited with code " + e.exitCode() + " before the guest finished" + during(r);
    }
    return "completed";
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
    StringBuilder s = new StringBuilder(load(m.load()));
    if (m.loaded()) {
      if (m.unload() instanceof UnloadOutcome.Unloaded) {
        s.append(", unloaded, ").append(m.reload() instanceof LoadOutcome.Loaded ? "reloaded" : "reload " + load(m.reload()));
      } else if (m.unload() instanceof UnloadOutcome.StillLoaded u) {
        s.append(", could not be unloaded (").append(u.rmmod().isEmpty() ? "errno " + u.errno() : u.rmmod()).append(')');
      } else if (m.unload() instanceof UnloadOutcome.KernelStopped k) {
        s.append(", the kernel stopped while unloading it");
      } else if (m.unload() instanceof UnloadOutcome.NotTried n) {
        s.append(", not unloaded (").append(n.why()).append(')');
      }
    }
    return s.toString();
  }

  private static String load(LoadOutcome o) {
    if (o instanceof LoadOutcome.Loaded l) {
      return "loaded" + (l.taint().isEmpty() ? "" : " (taint " + l.taint() + ")");
    }
    if (o instanceof LoadOutcome.Refused f) {
      return "refused" + (f.insmod().isEmpty() ? " (errno " + f.errno() + ")" : ": " + f.insmod());
    }
    if (o instanceof LoadOutcome.KernelStopped k) {
      return "the kernel stopped while loading it: " + k.how();
    }
    return "not tried (" + ((LoadOutcome.NotTried) o).why() + ")";
  }

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
