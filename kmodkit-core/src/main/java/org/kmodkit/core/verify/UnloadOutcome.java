package org.kmodkit.core.verify;

/** What the booted kernel did with one rmmod. */
public sealed interface UnloadOutcome {
  <R> R accept(Visitor<R> visitor);

  /** One method per case, no default: a new case does not compile until every visitor handles it. */
  interface Visitor<R> {
    R visit(Unloaded o);

    R visit(StillLoaded o);

    R visit(KernelStopped o);

    R visit(NotTried o);
  }

  record Unloaded() implements UnloadOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** delete_module failed (busy, no exit function, …): the driver cannot be replaced without a reboot. */
  record StillLoaded(int errno, String rmmod) implements UnloadOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** The kernel panicked or stopped answering during the rmmod. */
  record KernelStopped(String how) implements UnloadOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** Not attempted: the module never loaded, or the VM ended before. */
  record NotTried(String why) implements UnloadOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }
}
