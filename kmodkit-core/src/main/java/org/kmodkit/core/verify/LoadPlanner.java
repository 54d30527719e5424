package org.kmodkit.core.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.check.Checker;
import org.kmodkit.core.check.ModuleVerdict;
import org.kmodkit.core.check.SetVerdict;
import org.kmodkit.core.tree.ModuleTree;

/**
 * Decides what one boot loads, without touching anything: per set, the requested modules and their
 * dependency closure, ordered as modprobe orders a load (every module after what it needs).
 *
 * <p>A module's needs are its {@code depends=} (what modpost saw) and the {@link Checker}'s {@code
 * needs()} (the exporters of the symbols it uses, which also covers a module whose {@code depends=}
 * is stale). A name resolves to the set's own module first (a vendor mlx5_core overrides the
 * in-tree one, as in {@code kmodkit check}), then to the kernel's tree as modprobe resolves it
 * (its modules.dep: a vendor module linked into weak-updates/ over the in-tree one, and the
 * dependencies listed there); built-in modules need no load; anything else is a missing dependency, and the kernel will say so when it refuses.
 */
public final class LoadPlanner {
  private final ModuleTree tree;
  private final KernelAbi abi;

  public LoadPlanner(ModuleTree tree, KernelAbi abi) {
    this.tree = tree;
    this.abi = abi;
  }

  /**
   * The plan for {@code sets}. {@code load} names the modules to verify (module names, '-' and '_'
   * alike), in load order; empty means every module of every set. A name no set holds but the
   * kernel's tree does is loaded from the tree, in one more unit.
   */
  public BootPlan plan(List<VerifySet> sets, List<String> load) throws BadInputException {
    List<String> wanted = new ArrayList<>(new LinkedHashSet<>(load.stream().map(n -> n.trim().replace('-', '_')).filter(n -> !n.isEmpty()).toList()));
    Checker checker = new Checker(abi);
    Set<String> matched = new HashSet<>();
    List<Draft> drafts = new ArrayList<>();
    List<BootPlan.MissingDependency> missing = new ArrayList<>();
    for (VerifySet set : sets) {
      Map<String, ModuleSource> byName = new LinkedHashMap<>();
      for (ModuleSource m : set.modules()) {
        byName.putIfAbsent(m.name(), m);
      }
      List<String> requested = new ArrayList<>();
      if (wanted.isEmpty()) {
        requested.addAll(byName.keySet());
      } else {
        for (String n : wanted) {
          if (byName.containsKey(n)) {
            requested.add(n);
            matched.add(n);
          }
        }
      }
      if (requested.isEmpty()) {
        continue;
      }
      SetVerdict verdict = checker.check(set.name(), set.modules().stream().map(ModuleSource::module).toList());
      Map<String, List<String>> needs = new HashMap<>();
      for (ModuleVerdict v : verdict.modules()) {
        needs.putIfAbsent(v.name(), v.needs());
      }
      drafts.add(closure(set.name(), byName, needs, requested, missing));
    }
    List<String> fromTree = new ArrayList<>();
    for (String n : wanted) {
      if (matched.contains(n)) {
        continue;
      }
      if (tree.module(n).isPresent()) {
        fromTree.add(n);
      } else if (tree.isBuiltin(n)) {
        throw new BadInputException("--load " + n, n + " is built into kernel " + tree.release() + ": there is nothing to load; leave it out");
      } else {
        throw new BadInputException("--load " + n, "no module " + n + " in the given modules" + (tree.dir() == null ? " (and no module tree for kernel " + tree.release() + ": pass --root or the kernel's image package)" : " nor in " + tree.dir()) + "; check the name (modinfo -F name FILE)");
      }
    }
    if (!fromTree.isEmpty()) {
      drafts.add(closure("kernel " + tree.release(), Map.of(), Map.of(), fromTree, missing));
    }
    return number(drafts, missing);
  }

  /** One set's load order before ids are given: modules by name, with where each comes from. */
  private record Draft(String set, List<Placed> order, Set<String> requested) {}

  private record Placed(String name, ModuleSource own, ModuleTree.TreeModule fromTree) {}

  private Draft closure(String set, Map<String, ModuleSource> own, Map<String, List<String>> needs, List<String> requested, List<BootPlan.MissingDependency> missing) {
    List<Placed> order = new ArrayList<>();
    Set<String> placed = new HashSet<>();
    Set<String> visiting = new HashSet<>();
    for (String r : requested) {
      visit(r, null, set, own, needs, order, placed, visiting, missing);
    }
    return new Draft(set, order, new HashSet<>(requested));
  }

  private void visit(String name, String neededBy, String set, Map<String, ModuleSource> own, Map<String, List<String>> needs, List<Placed> order, Set<String> placed, Set<String> visiting, List<BootPlan.MissingDependency> missing) {
    if (placed.contains(name) || visiting.contains(name)) {
      return; // a cycle: the kernel refuses one of them, and says so
    }
    ModuleSource mine = own.get(name);
    Optional<ModuleTree.TreeModule> theirs = mine == null ? tree.module(name) : Optional.empty();
    if (mine == null && theirs.isEmpty()) {
      if (!tree.isBuiltin(name) && neededBy != null) {
        missing.add(new BootPlan.MissingDependency(set, neededBy, name));
      }
      return;
    }
    visiting.add(name);
    Set<String> deps = new LinkedHashSet<>();
    if (mine != null) {
      deps.addAll(mine.module().modinfo().depends());
      deps.addAll(needs.getOrDefault(name, List.of()));
    } else {
      deps.addAll(theirs.get().needs()); // modules.dep's list when depmod wrote one: what modprobe loads first
    }
    for (String d : deps) {
      if (!d.equals(name)) {
        visit(d, name, set, own, needs, order, placed, visiting, missing);
      }
    }
    visiting.remove(name);
    placed.add(name);
    order.add(new Placed(name, mine, theirs.orElse(null)));
  }

  private BootPlan number(List<Draft> drafts, List<BootPlan.MissingDependency> missing) {
    List<BootPlan.Unit> units = new ArrayList<>();
    int id = 1;
    for (Draft d : drafts) {
      int index = units.size() + 1;
      List<BootPlan.Step> steps = new ArrayList<>();
      for (Placed p : d.order()) {
        boolean requested = d.requested().contains(p.name());
        if (p.own() != null) {
          steps.add(new BootPlan.Step(id++, p.name(), BootPlan.Origin.SET, p.own().module().path(), p.own().file(), "/m/" + index + "/" + p.name() + ".ko", requested));
        } else {
          // one copy per tree module, whatever unit needs it
          steps.add(new BootPlan.Step(id++, p.name(), BootPlan.Origin.TREE, p.fromTree().relativePath(), p.fromTree().file(), "/k/" + p.name() + ".ko", requested));
        }
      }
      units.add(new BootPlan.Unit(index, d.set(), steps));
    }
    return new BootPlan(tree.release(), units, missing);
  }
}
