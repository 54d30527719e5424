package org.kmodkit.core.verify;

import java.util.List;

/**
 * What the booted kernel did with one planned module: load, unload, reload, and every kernel line
 * logged while it was being loaded, unloaded or reloaded (timestamps removed).
 */
public record ModuleResult(BootPlan.Step step, LoadOutcome load, UnloadOutcome unload, LoadOutcome reload, List<String> kernelLog) {
  public ModuleResult {
    kernelLog = List.copyOf(kernelLog);
  }

  public String name() {
    return step.name();
  }

  public boolean loaded() {
    return load instanceof LoadOutcome.Loaded;
  }

  public boolean unloaded() {
    return unload instanceof UnloadOutcome.Unloaded;
  }

  public boolean reloaded() {
    return reload instanceof LoadOutcome.Loaded;
  }

  /** The seed's test: it loaded, it could be unloaded, and it loaded again. */
  public boolean ok() {
    return loaded() && unloaded() && reloaded();
  }

  /** The module's taint flags when it loaded (e.g. "OE"), or "" when it did not load or taints nothing. */
  public String taint() {
    return load instanceof LoadOutcome.Loaded l ? l.taint() : "";
  }
}
