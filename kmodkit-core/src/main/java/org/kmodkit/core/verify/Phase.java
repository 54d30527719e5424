package org.kmodkit.core.verify;

/** The four things the guest does with each module of a unit, in this order. */
public enum Phase {
  /** insmod, dependencies first. */
  LOAD,
  /** rmmod, in reverse: can the driver be unloaded? */
  UNLOAD,
  /** insmod again: can the driver be reloaded (what an update on a running node does)? */
  RELOAD,
  /** rmmod again, so the next unit finds the kernel as it booted. */
  CLEANUP;

  /** The word in the console protocol. */
  public String word() {
    return name().toLowerCase();
  }

  public boolean loads() {
    return this == LOAD || this == RELOAD;
  }

  public static Phase of(String word) {
    return valueOf(word.toUpperCase());
  }
}
