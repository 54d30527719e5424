package org.kmodkit.core.weak;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.kmodkit.core.tree.Sysroot;

/**
 * The matrix of every out-of-tree module set × every installed kernel: what is (links on disk,
 * kmodkit's or another tool's) against what should be (the plan).
 */
public record Status(List<String> kernels, List<String> sets, Map<String, Map<String, Cell>> cells, List<String> notes) {
  public Status {
    kernels = List.copyOf(kernels);
    sets = List.copyOf(sets);
    cells = Map.copyOf(cells);
    notes = List.copyOf(notes);
  }

  /** A cell's state, as the matrix colours it. */
  public enum State {
    NATIVE("native"),
    LINKED("linked"),
    COMPATIBLE_NOT_LINKED("compatible, not linked"),
    PARTIAL("partly linked"),
    INCOMPATIBLE("incompatible"),
    DEPENDENCY_MISSING("dependency missing"),
    NO_ABI("kernel ABI unknown");

    private final String label;

    State(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /**
   * @param from kernels whose builds are linked (or would be)
   * @param detail the first reason, or which modules are linked from where
   * @param stale links on disk disagree with the verdict (e.g. linked but now incompatible)
   * @param byOtherTool the links on disk were made by another tool (RHEL weak-modules, a script)
   * @param refusal the first refusal's kind ({@link Plan.SetDecision#refusal()}), null when none
   */
  public record Cell(State state, List<String> from, String detail, boolean stale, boolean byOtherTool, String refusal) {
    public Cell {
      from = List.copyOf(from);
    }
  }

  public Cell cell(String set, String kernel) {
    return cells.getOrDefault(set, Map.of()).get(kernel);
  }

  public static Status of(Inventory inv, Plan plan) {
    List<String> kernels = new ArrayList<>(inv.kernels());
    kernels.addAll(inv.unusableKernels());
    Map<String, Map<String, Cell>> cells = new HashMap<>();
    Map<String, Map<String, Plan.SetDecision>> decisions = new HashMap<>();
    for (Plan.KernelPlan kp : plan.kernels()) {
      for (Plan.SetDecision d : kp.decisions()) {
        decisions.computeIfAbsent(d.set(), x -> new HashMap<>()).put(kp.release(), d);
      }
    }
    for (String set : inv.sets()) {
      Map<String, Cell> row = new HashMap<>();
      for (String k : kernels) {
        row.put(k, cell(inv, set, k, decisions.getOrDefault(set, Map.of()).get(k)));
      }
      cells.put(set, row);
    }
    return new Status(kernels, inv.sets(), cells, plan.notes());
  }

  private static Cell cell(Inventory inv, String set, String k, Plan.SetDecision d) {
    if (inv.build(set, k).isPresent()) {
      return new Cell(State.NATIVE, List.of(k), inv.build(set, k).get().modules().size() + " modules installed for this kernel", false, false, null);
    }
    TreeSet<String> ours = new TreeSet<>();
    Inventory.Generation g = inv.current().get(k);
    if (g != null) {
      g.links().stream().filter(l -> l.set().equals(set)).forEach(l -> ours.add(l.targetRelease()));
    }
    TreeSet<String> theirs = foreignFrom(inv, set, k);
    boolean onDisk = !ours.isEmpty() || !theirs.isEmpty();
    List<String> from = new ArrayList<>(ours.isEmpty() ? theirs : ours);
    if (d == null) {
      return onDisk
          ? new Cell(State.LINKED, from, "linked; no ABI source to judge it against", false, ours.isEmpty(), null)
          : new Cell(State.NO_ABI, List.of(), "this kernel has no symvers, headers or image", false, false, null);
    }
    switch (d.state()) {
      case LINKED:
        return onDisk
            ? new Cell(State.LINKED, from, String.join(", ", d.modules()) + " from " + String.join(", ", d.from()), !new TreeSet<>(d.from()).equals(new TreeSet<>(from)), ours.isEmpty(), null)
            : new Cell(State.COMPATIBLE_NOT_LINKED, d.from(), "would link " + String.join(", ", d.modules()) + " from " + String.join(", ", d.from()) + "; run kmodkit weak-modules --add-kernel " + k, false, false, null);
      case PARTIAL:
        return new Cell(State.PARTIAL, d.from(), d.reason(), false, ours.isEmpty() && onDisk, d.refusal());
      case DEPENDENCY_MISSING:
        return new Cell(State.DEPENDENCY_MISSING, from, d.reason(), onDisk, ours.isEmpty() && onDisk, d.refusal());
      default:
        return new Cell(State.INCOMPATIBLE, from, d.reason(), onDisk, ours.isEmpty() && onDisk, d.refusal());
    }
  }

  /** Kernels whose build of {@code set} foreign links in {@code k}'s weak-updates point at. */
  private static TreeSet<String> foreignFrom(Inventory inv, String set, String k) {
    TreeSet<String> out = new TreeSet<>();
    for (Inventory.ForeignLink f : inv.foreign()) {
      if (!f.release().equals(k) || f.dangling()) {
        continue;
      }
      String target = f.target();
      for (ModuleBuild b : inv.buildsOf(set)) {
        for (ModuleBuild.Member m : b.modules()) {
          String abs = Sysroot.modulesPath(b.release(), m.relPath());
          if (target.equals(abs) || target.endsWith(abs) || resolvesTo(inv, k, f, abs)) {
            out.add(b.release());
          }
        }
      }
    }
    return out;
  }

  private static boolean resolvesTo(Inventory inv, String k, Inventory.ForeignLink f, String abs) {
    if (f.target().startsWith("/")) {
      return false;
    }
    Path link = inv.root().modulesDir(k).resolve("weak-updates").resolve(f.path());
    Optional<Path> real = inv.root().resolve(inv.root().inside(link.getParent()) + "/" + f.target());
    return real.isPresent() && real.get().equals(inv.root().path(abs)) && Files.exists(real.get());
  }
}
