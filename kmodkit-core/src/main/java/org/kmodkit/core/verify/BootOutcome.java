package org.kmodkit.core.verify;

/** How the VM's run ended. */
public sealed interface BootOutcome {
  <R> R accept(Visitor<R> visitor);

  /** One method per case, no default: a new case does not compile until every visitor handles it. */
  interface Visitor<R> {
    R visit(Completed o);

    R visit(KernelPanic o);

    R visit(TimedOut o);

    R visit(VmExited o);
  }

  /** The guest's init ran to the end and powered off. */
  record Completed() implements BootOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** The kernel panicked (panic=-1 then ends the VM at once); {@code message} is its panic line. */
  record KernelPanic(String message) implements BootOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** Nothing ended the VM within the time allowed: kmodkit stopped it. */
  record TimedOut(long seconds) implements BootOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** QEMU exited before the guest finished, without a panic on the console. */
  record VmExited(int exitCode) implements BootOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }
}
