package org.kmodkit.core.weak;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.tree.KernelAbiLoader;
import org.kmodkit.core.tree.Sysroot;

/** weak-updates for one root: read, plan, apply — under one lock, so concurrent runs queue. */
public final class WeakUpdates {
  private final Sysroot root;
  private final SystemTools tools;
  private final Map<String, KernelAbi> abis = new HashMap<>();

  public WeakUpdates(Sysroot root, SystemTools tools) {
    this.root = root;
    this.tools = tools;
  }

  /** Which kernels to (re)plan: all, some, and which are being removed. */
  public record Request(Set<String> scope, Set<String> removing) {
    public static Request all() {
      return new Request(null, Set.of());
    }

    public static Request addKernel(String k) {
      return new Request(Set.of(k), Set.of());
    }

    public static Request removeKernel(String k) {
      return new Request(Set.of(), Set.of(k));
    }
  }

  public Sysroot root() {
    return root;
  }

  public Inventory inventory() throws BadInputException, EnvironmentException {
    return new InventoryReader(tools).read(root);
  }

  /** The ABI planning judges against: the kernel's own modules and native builds, not weak-updates. */
  public KernelAbi abi(String release) throws BadInputException {
    KernelAbi a = abis.get(release);
    if (a == null) {
      a = KernelAbiLoader.fromInstalledTree(root, release, rel -> !rel.startsWith("weak-updates/"));
      abis.put(release, a);
    }
    return a;
  }

  public Plan plan(Inventory inv, Request r) throws BadInputException {
    if (r.scope() != null) {
      for (String k : r.scope()) {
        if (!inv.kernels().contains(k)) {
          throw new BadInputException(root.modulesDir(k).toString(), inv.unusableKernels().contains(k)
              ? "kernel " + k + " has no symvers, headers or image to judge modules against; install linux-headers-" + k + " or kernel-devel"
              : "kernel " + k + " is not installed under " + root.root() + " (ls " + root.modulesDir() + ")");
        }
      }
    }
    return new Planner(this::abi).plan(inv, r.scope(), r.removing());
  }

  /** Reads, plans and applies under the lock; {@code dryRun} stops after planning. */
  public Result run(Request r, boolean dryRun, boolean initramfs) throws BadInputException, EnvironmentException {
    if (dryRun) {
      Inventory inv = inventory();
      return new Result(inv, plan(inv, r), null);
    }
    Applier applier = new Applier(root, tools);
    // whatever ends the run is reported as itself; a failure to release the lock is only added to it
    try (Applier.Lock lock = applier.lock()) {
      Inventory inv = inventory();
      Plan plan = plan(inv, r);
      return new Result(inv, plan, applier.apply(plan, initramfs));
    }
  }

  public record Result(Inventory inventory, Plan plan, Applier.Outcome outcome) {}
}
