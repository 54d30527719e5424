package org.kmodkit.core.weak;

import java.util.List;

/** What weak-updates should look like, per kernel, and what changes to get there. */
public record Plan(List<KernelPlan> kernels, List<String> notes) {
  public Plan {
    kernels = List.copyOf(kernels);
    notes = List.copyOf(notes);
  }

  /** What happens to a kernel. */
  public enum Change {
    /** Already as planned. */
    NONE,
    /** As planned, but depmod did not finish after the last switch: run it again. */
    DEPMOD_ONLY,
    /** A new generation of links replaces the live one. */
    UPDATE,
    /** kmodkit's links go away (nothing to link, or the kernel is being removed). */
    REMOVE
  }

  /** The verdict for one module set on one kernel. */
  public enum State {
    /** A build of the set is installed for this kernel. */
    NATIVE,
    /** Linked from another kernel's build. */
    LINKED,
    /** Some dependency groups linked, others not. */
    PARTIAL,
    /** No build's modules would load: the first reason is given. */
    INCOMPATIBLE,
    /** No build would load because something it needs is missing. */
    DEPENDENCY_MISSING
  }

  /**
   * @param from the kernels whose builds were linked (empty unless linked)
   * @param reason for INCOMPATIBLE / DEPENDENCY_MISSING / PARTIAL: the kernel's words for the first refusal
   * @param refusal the first refusal's {@link org.kmodkit.core.check.Problem#kind() kind} ("no_build" when
   *     no build exists to try), null when nothing was refused
   */
  public record SetDecision(String set, String release, State state, List<String> from, List<String> modules, String reason, String refusal) {
    public SetDecision {
      from = List.copyOf(from);
      modules = List.copyOf(modules);
    }
  }

  public record KernelPlan(String release, Change change, List<Inventory.Link> links, List<String> overrides, List<SetDecision> decisions, List<String> changedModules) {
    public KernelPlan {
      links = List.copyOf(links);
      overrides = List.copyOf(overrides);
      decisions = List.copyOf(decisions);
      changedModules = List.copyOf(changedModules);
    }
  }

  public boolean changes() {
    return kernels.stream().anyMatch(k -> k.change() != Change.NONE);
  }
}
