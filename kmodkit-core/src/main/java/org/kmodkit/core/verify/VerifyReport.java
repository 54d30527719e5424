package org.kmodkit.core.verify;

import java.nio.file.Path;
import java.util.List;

/**
 * The booted kernel's answer for a {@link BootPlan}.
 *
 * @param plan what was asked
 * @param accel how QEMU ran the guest (kvm or tcg)
 * @param outcome how the run ended
 * @param release what the guest's kernel says it is (uname -r), or null when init never ran
 * @param bootSeconds guest uptime when init started, or -1
 * @param taintedAtBoot /proc/sys/kernel/tainted when init started, or -1
 * @param taintedAtEnd /proc/sys/kernel/tainted when init finished, or -1
 * @param modules one per planned step, in load order
 * @param lastLines the last console lines (what to look at when the run did not complete)
 * @param consoleLog the whole serial console, kept for the user (null when not kept)
 * @param wallSeconds the VM's run time on the host
 */
public record VerifyReport(
    BootPlan plan,
    Accel accel,
    BootOutcome outcome,
    String release,
    double bootSeconds,
    long taintedAtBoot,
    long taintedAtEnd,
    List<ModuleResult> modules,
    List<String> lastLines,
    Path consoleLog,
    double wallSeconds) {

  public VerifyReport {
    modules = List.copyOf(modules);
    lastLines = List.copyOf(lastLines);
  }

  /** How QEMU runs the guest: hardware virtualisation when /dev/kvm is usable, emulation otherwise. */
  public enum Accel {
    KVM,
    TCG
  }

  /** True when the guest's init started (the kernel booted with kmodkit's initramfs). */
  public boolean booted() {
    return release != null;
  }

  public List<ModuleResult> requested() {
    return modules.stream().filter(m -> m.step().requested()).toList();
  }

  /** True only when the run completed and every requested module loaded, unloaded and reloaded. */
  public boolean allRequestedOk() {
    return outcome instanceof BootOutcome.Completed && requested().stream().allMatch(ModuleResult::ok);
  }

  public VerifyReport withConsoleLog(Path log, double wall) {
    return new VerifyReport(plan, accel, outcome, release, bootSeconds, taintedAtBoot, taintedAtEnd, modules, lastLines, log, wall);
  }
}
