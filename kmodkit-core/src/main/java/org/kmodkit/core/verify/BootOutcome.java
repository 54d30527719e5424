package org.kmodkit.core.verify;

/** How the VM's run ended. */
public sealed interface BootOutcome {
  /** The guest's init ran to the end and powered off. */
  record Completed() implements BootOutcome {}

  /** The kernel panicked (panic=-1 then ends the VM at once); {@code message} is its panic line. */
  record KernelPanic(String message) implements BootOutcome {}

  /** Nothing ended the VM within the time allowed: kmodkit stopped it. */
  record TimedOut(long seconds) implements BootOutcome {}

  /** QEMU exited before the guest finished, without a panic on the console. */
  record VmExited(int exitCode) implements BootOutcome {}
}
