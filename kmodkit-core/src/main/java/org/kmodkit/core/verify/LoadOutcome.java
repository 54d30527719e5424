package org.kmodkit.core.verify;

import java.util.List;

/** What the booted kernel did with one insmod, in its own terms. */
public sealed interface LoadOutcome {
  <R> R accept(Visitor<R> visitor);

  /** One method per case, no default: a new case does not compile until every visitor handles it. */
  interface Visitor<R> {
    R visit(Loaded o);

    R visit(Refused o);

    R visit(KernelStopped o);

    R visit(NotTried o);
  }

  /** init_module returned 0; {@code taint} is /sys/module/NAME/taint (e.g. "OE": out-of-tree, unsigned). */
  record Loaded(String taint) implements LoadOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /**
   * init_module failed: {@code errno} as insmod reports it (8 ENOEXEC, 22 EINVAL, 2 ENOENT, 17
   * EEXIST…), insmod's own line, and the reasons the kernel logged.
   */
  record Refused(int errno, String insmod, List<Refusal> reasons) implements LoadOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }

    public Refused {
      reasons = List.copyOf(reasons);
    }
  }

  /** The kernel panicked or stopped answering while this module was being loaded. */
  record KernelStopped(String how) implements LoadOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** Not attempted: the VM ended before, or an earlier phase decided it (not unloaded, not loaded). */
  record NotTried(String why) implements LoadOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }
}
