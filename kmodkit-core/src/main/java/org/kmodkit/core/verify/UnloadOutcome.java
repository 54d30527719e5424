package org.kmodkit.core.verify;

/** What the booted kernel did with one rmmod. */
public sealed interface UnloadOutcome {
  record Unloaded() implements UnloadOutcome {}

  /** delete_module failed (busy, no exit function, …): the driver cannot be replaced without a reboot. */
  record StillLoaded(int errno, String rmmod) implements UnloadOutcome {}

  /** The kernel panicked or stopped answering during the rmmod. */
  record KernelStopped(String how) implements UnloadOutcome {}

  /** Not attempted: the module never loaded, or the VM ended before. */
  record NotTried(String why) implements UnloadOutcome {}
}
