package org.kmodkit.core.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kmodkit.core.host.ProcessRunner;

/**
 * Reads a guest's serial console (the protocol {@link GuestInit} writes, interleaved with the
 * kernel's own lines) back into per-module results. Pure: the same text gives the same report, so
 * recorded consoles make tests.
 */
public final class ConsoleParser {
  // every number is bounded: a guest (or a module in it) writes these lines, and no line of it may
  // make the parser throw
  private static final Pattern TIMESTAMP = Pattern.compile("^\\[\\s*\\d+\\.\\d+\\]\\s?");
  private static final Pattern BOOTED = Pattern.compile("@@ BOOTED release=(\\S*) uptime=(\\d{1,9}(?:\\.\\d{1,9})?) tainted=(\\d{1,18})");
  private static final Pattern BEGIN = Pattern.compile("@@ BEGIN (\\d{1,9}) (load|unload|reload|cleanup)");
  private static final Pattern OUT = Pattern.compile("@@ OUT (\\d{1,9}) (load|unload|reload|cleanup) ?(.*)");
  private static final Pattern END = Pattern.compile("@@ END (\\d{1,9}) (load|unload|reload|cleanup) rc=(\\d{1,9}) taint=(\\S*)");
  private static final Pattern DONE = Pattern.compile("@@ DONE uptime=(\\d{1,9}(?:\\.\\d{1,9})?) tainted=(\\d{1,18})");
  private static final Pattern PANIC = Pattern.compile("Kernel panic - not syncing.*");
  /** How many console lines a report keeps for a run that did not complete. */
  static final int LAST_LINES = 25;

  private ConsoleParser() {}

  /** One insmod or rmmod as the guest reported it. */
  private static final class Attempt {
    final int id;
    final Phase phase;
    final List<String> out = new ArrayList<>();
    final Set<String> log = new LinkedHashSet<>(); // busybox insmod retries init_module: each refusal is logged twice
    int rc = -1;
    String taint = "";
    boolean ended;

    Attempt(int id, Phase phase) {
      this.id = id;
      this.phase = phase;
    }
  }

  private record Key(int id, Phase phase) {}

  /**
   * The report for {@code plan} from the console {@code lines} of a run that ended as {@code
   * ended} says.
   */
  public static VerifyReport parse(BootPlan plan, List<String> lines, VerifyReport.Accel accel, ProcessRunner.Result ended) {
    Map<Key, Attempt> attempts = new HashMap<>();
    Attempt current = null;
    String release = null;
    double bootSeconds = -1;
    long taintedAtBoot = -1;
    long taintedAtEnd = -1;
    boolean done = false;
    String panic = null;
    List<String> clean = new ArrayList<>(lines.size());
    for (String raw : lines) {
      String line = raw.replace("\r", "");
      clean.add(line);
      String text = TIMESTAMP.matcher(line).replaceFirst("");
      int at = text.indexOf("@@ ");
      Matcher m;
      if (at >= 0) {
        String marker = text.substring(at);
        if ((m = BEGIN.matcher(marker)).matches()) {
          current = new Attempt(Integer.parseInt(m.group(1)), Phase.of(m.group(2)));
          attempts.put(new Key(current.id, current.phase), current);
        } else if ((m = OUT.matcher(marker)).matches()) {
          if (current != null && current.id == Integer.parseInt(m.group(1))) {
            current.out.add(m.group(3));
          }
        } else if ((m = END.matcher(marker)).matches()) {
          if (current != null && current.id == Integer.parseInt(m.group(1)) && current.phase == Phase.of(m.group(2))) {
            current.rc = Integer.parseInt(m.group(3));
            current.taint = m.group(4);
            current.ended = true;
          }
          current = null;
        } else if ((m = BOOTED.matcher(marker)).matches()) {
          release = m.group(1);
          bootSeconds = Double.parseDouble(m.group(2));
          taintedAtBoot = Long.parseLong(m.group(3));
        } else if ((m = DONE.matcher(marker)).matches()) {
          done = true;
          taintedAtEnd = Long.parseLong(m.group(2));
        }
        continue;
      }
      if ((m = PANIC.matcher(text)).find() && panic == null) {
        panic = m.group().strip();
      }
      if (current != null && !text.isBlank()) {
        current.log.add(text.strip());
      }
    }
    // what ended the run, and the same in words for a step it cut short
    BootOutcome outcome;
    String stopped;
    if (done) {
      outcome = new BootOutcome.Completed();
      stopped = "the guest skipped it";
    } else if (ended.timedOut()) {
      long seconds = Math.round(ended.elapsed().toMillis() / 1000.0);
      outcome = new BootOutcome.TimedOut(seconds);
      stopped = "the kernel stopped answering; kmodkit stopped the VM after " + seconds + " s";
    } else if (panic != null) {
      outcome = new BootOutcome.KernelPanic(panic);
      stopped = panic;
    } else {
      outcome = new BootOutcome.VmExited(ended.exitCode());
      stopped = "the VM exited (code " + ended.exitCode() + ") before the guest finished";
    }
    String before = release == null ? "the kernel never ran kmodkit's init" : "the VM ended before it";
    List<ModuleResult> results = new ArrayList<>();
    for (BootPlan.Step step : plan.steps()) {
      List<String> log = new ArrayList<>();
      Attempt load = attempts.get(new Key(step.id(), Phase.LOAD));
      LoadOutcome loadOutcome = load(step, load, stopped, before, log);
      UnloadOutcome unload;
      LoadOutcome reload;
      if (!(loadOutcome instanceof LoadOutcome.Loaded)) {
        unload = new UnloadOutcome.NotTried("not loaded");
        reload = new LoadOutcome.NotTried("not loaded");
      } else {
        Attempt u = attempts.get(new Key(step.id(), Phase.UNLOAD));
        if (u == null) {
          unload = new UnloadOutcome.NotTried(before);
        } else if (!u.ended) {
          unload = new UnloadOutcome.KernelStopped(stopped);
        } else if (u.rc == 0) {
          unload = new UnloadOutcome.Unloaded();
        } else {
          unload = new UnloadOutcome.StillLoaded(u.rc, String.join("; ", u.out));
        }
        if (u != null) {
          log.addAll(u.log);
        }
        reload = unload instanceof UnloadOutcome.Unloaded
            ? load(step, attempts.get(new Key(step.id(), Phase.RELOAD)), stopped, before, log)
            : new LoadOutcome.NotTried("not unloaded");
      }
      Attempt c = attempts.get(new Key(step.id(), Phase.CLEANUP));
      if (c != null) {
        log.addAll(c.log);
      }
      results.add(new ModuleResult(step, loadOutcome, unload, reload, log));
    }
    List<String> last = clean.subList(Math.max(0, clean.size() - LAST_LINES), clean.size());
    return new VerifyReport(plan, accel, outcome, release, bootSeconds, taintedAtBoot, taintedAtEnd, results, last, null, ended.elapsed().toMillis() / 1000.0);
  }

  private static LoadOutcome load(BootPlan.Step step, Attempt a, String stopped, String before, List<String> log) {
    if (a == null) {
      return new LoadOutcome.NotTried(before);
    }
    log.addAll(a.log);
    if (!a.ended) {
      return new LoadOutcome.KernelStopped(stopped);
    }
    if (a.rc == 0) {
      return new LoadOutcome.Loaded(a.taint);
    }
    List<Refusal> reasons = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (String line : a.log) {
      Refusal.parse(step.name(), line).filter(r -> seen.add(r.message())).ifPresent(reasons::add);
    }
    return new LoadOutcome.Refused(a.rc, String.join("; ", a.out), reasons);
  }
}
