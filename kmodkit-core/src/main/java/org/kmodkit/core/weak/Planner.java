package org.kmodkit.core.weak;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.check.Checker;
import org.kmodkit.core.check.ModuleVerdict;
import org.kmodkit.core.check.Problem;
import org.kmodkit.core.check.SetVerdict;
import org.kmodkit.core.elf.Import;
import org.kmodkit.core.elf.ModuleFile;

/**
 * Decides, for each kernel, which out-of-tree builds to link into its weak-updates — pure: an
 * inventory and the kernels' ABIs in, a {@link Plan} out. A build is split into dependency groups
 * (modules joined by depends= or by using each other's exports); a group links all-or-nothing,
 * independent groups are judged one by one; builds are tried newest kernel first, so the newest
 * compatible build of each group wins; passes repeat until nothing more links, so a set that
 * needs another linked set links on a later pass.
 */
public final class Planner {
  /** The ABI of an installed kernel: its own modules and native out-of-tree builds, not weak-updates. */
  @FunctionalInterface
  public interface Abis {
    KernelAbi of(String release) throws BadInputException;
  }

  private final Abis abis;

  public Planner(Abis abis) {
    this.abis = abis;
  }

  /**
   * Plans {@code scope} (null: every usable kernel); kernels in {@code removing} get their links
   * removed whatever the inventory says.
   */
  public Plan plan(Inventory inv, Set<String> scope, Set<String> removing) throws BadInputException {
    List<Plan.KernelPlan> out = new ArrayList<>();
    List<String> notes = new ArrayList<>(inv.notes());
    for (String k : inv.kernels()) {
      if (removing.contains(k)) {
        out.add(removal(inv, k));
      } else if (scope == null || scope.contains(k) || interrupted(inv, k)) {
        out.add(planKernel(inv, k, notes));
      }
    }
    for (String k : removing) {
      if (!inv.kernels().contains(k)) {
        out.add(removal(inv, k));
      }
    }
    // state left behind by kernels that are gone
    Set<String> leftovers = new TreeSet<>(inv.current().keySet());
    leftovers.addAll(inv.unfinished());
    for (String k : leftovers) {
      if (!inv.kernels().contains(k) && !removing.contains(k) && !inv.unusableKernels().contains(k)) {
        out.add(removal(inv, k));
      }
    }
    return new Plan(out, notes);
  }

  /** A run was killed half-way on this kernel (depmod owed, or a removal unfinished): whatever the scope, finish it. */
  private static boolean interrupted(Inventory inv, String k) {
    Inventory.Generation g = inv.current().get(k);
    return inv.unfinished().contains(k) || (g != null && !g.depmodDone());
  }

  /**
   * The plan for a kernel that is not installed yet (its ABI from its packages): no native builds,
   * nothing on disk to compare with.
   */
  public Plan.KernelPlan preview(Inventory inv, String release) throws BadInputException {
    Inventory without = new Inventory(inv.root(), inv.kernels(), inv.unusableKernels(), inv.builds().stream().filter(b -> !b.release().equals(release)).toList(), java.util.Map.of(), List.of(), List.of(), List.of());
    return planKernel(without, release, new ArrayList<>());
  }

  private static Plan.KernelPlan removal(Inventory inv, String k) {
    Inventory.Generation g = inv.current().get(k);
    List<String> changed = g == null ? List.of() : g.links().stream().map(l -> moduleName(l.path())).toList();
    boolean ours = g != null || inv.unfinished().contains(k);
    return new Plan.KernelPlan(k, ours ? Plan.Change.REMOVE : Plan.Change.NONE, List.of(), List.of(), List.of(), changed);
  }

  private Plan.KernelPlan planKernel(Inventory inv, String k, List<String> notes) throws BadInputException {
    KernelAbi abi = abis.of(k);
    Checker checker = new Checker(abi);
    List<ModuleFile> linked = new ArrayList<>();
    Map<String, Inventory.Link> links = new LinkedHashMap<>();
    Map<String, List<Inventory.Link>> bySet = new LinkedHashMap<>();
    Map<String, String> firstRefusal = new HashMap<>();
    Map<String, String> firstKind = new HashMap<>();
    Map<String, Boolean> onlyMissing = new HashMap<>();
    Map<String, Set<String>> unlinkedGroups = new HashMap<>();
    List<String> nativeSets = new ArrayList<>();
    List<String> candidates = new ArrayList<>();
    for (String set : inv.sets()) {
      if (inv.build(set, k).isPresent()) {
        nativeSets.add(set);
      } else {
        candidates.add(set);
      }
    }
    Set<String> covered = new HashSet<>(); // "set/module" already linked
    boolean progress = true;
    while (progress) {
      progress = false;
      for (String set : candidates) {
        List<ModuleBuild> builds = new ArrayList<>(inv.buildsOf(set));
        builds.sort(Comparator.comparing(ModuleBuild::release, ReleaseOrder.newestFirst()));
        for (ModuleBuild b : builds) {
          for (List<ModuleBuild.Member> group : groups(b)) {
            if (group.stream().anyMatch(m -> covered.contains(set + "/" + m.module().name()))) {
              continue;
            }
            List<ModuleFile> trial = new ArrayList<>();
            group.forEach(m -> trial.add(m.module()));
            trial.addAll(linked);
            SetVerdict v = checker.check(set, trial);
            List<ModuleVerdict> mine = v.modules().subList(0, group.size());
            ModuleVerdict refused = mine.stream().filter(x -> !x.loads()).findFirst().orElse(null);
            String key = groupKey(group);
            if (refused == null) {
              boolean clash = false;
              for (ModuleBuild.Member m : group) {
                Inventory.Link existing = links.get(m.linkPath());
                if (existing != null) {
                  notes.add(k + ": " + set + "'s " + m.linkPath() + " would take the place of " + existing.set() + "'s; left out");
                  clash = true;
                }
              }
              if (clash) {
                continue;
              }
              for (ModuleBuild.Member m : group) {
                Inventory.Link l = new Inventory.Link(m.linkPath(), b.release(), m.relPath(), set);
                links.put(m.linkPath(), l);
                bySet.computeIfAbsent(set, x -> new ArrayList<>()).add(l);
                covered.add(set + "/" + m.module().name());
                linked.add(m.module());
              }
              unlinkedGroups.getOrDefault(set, new HashSet<>()).remove(key);
              progress = true;
            } else {
              unlinkedGroups.computeIfAbsent(set, x -> new LinkedHashSet<>()).add(key);
              if (!firstRefusal.containsKey(set) || b.release().equals(newest(builds))) {
                firstRefusal.putIfAbsent(set, refusal(refused, b.release()));
                firstKind.putIfAbsent(set, refused.errors().isEmpty() ? "refused" : refused.errors().get(0).kind());
                onlyMissing.putIfAbsent(set, onlyMissingDependencies(refused));
              }
            }
          }
        }
      }
    }
    List<Plan.SetDecision> decisions = new ArrayList<>();
    for (String set : nativeSets) {
      decisions.add(new Plan.SetDecision(set, k, Plan.State.NATIVE, List.of(k), inv.build(set, k).get().files().stream().map(ModuleFile::name).toList(), null, null));
    }
    for (String set : candidates) {
      List<Inventory.Link> ls = bySet.getOrDefault(set, List.of());
      Set<String> from = new TreeSet<>();
      ls.forEach(l -> from.add(l.targetRelease()));
      List<String> mods = ls.stream().map(l -> moduleName(l.path())).toList();
      Set<String> stillOut = remaining(inv, set, covered);
      if (!ls.isEmpty() && stillOut.isEmpty()) {
        decisions.add(new Plan.SetDecision(set, k, Plan.State.LINKED, new ArrayList<>(from), mods, null, null));
      } else if (!ls.isEmpty()) {
        decisions.add(new Plan.SetDecision(set, k, Plan.State.PARTIAL, new ArrayList<>(from), mods, "not linked: " + String.join(", ", stillOut) + "; " + firstRefusal.getOrDefault(set, ""), firstKind.get(set)));
      } else {
        boolean missing = onlyMissing.getOrDefault(set, false);
        decisions.add(new Plan.SetDecision(set, k, missing ? Plan.State.DEPENDENCY_MISSING : Plan.State.INCOMPATIBLE, List.of(), List.of(), firstRefusal.getOrDefault(set, "no build to link"), firstKind.getOrDefault(set, "no_build")));
      }
    }
    List<Inventory.Link> all = new ArrayList<>(links.values());
    all.sort(Comparator.comparing(Inventory.Link::path));
    List<String> overrides = overrides(k, abi, all);
    return new Plan.KernelPlan(k, change(inv.current().get(k), inv.unfinished().contains(k), all, overrides), all, overrides, decisions, changed(inv.current().get(k), all));
  }

  private static String newest(List<ModuleBuild> builds) {
    return builds.isEmpty() ? "" : builds.get(0).release();
  }

  /** Module names of a set (over all its builds) not linked on this kernel. */
  private static Set<String> remaining(Inventory inv, String set, Set<String> covered) {
    Set<String> out = new TreeSet<>();
    for (ModuleBuild b : inv.buildsOf(set)) {
      for (ModuleBuild.Member m : b.modules()) {
        if (!covered.contains(set + "/" + m.module().name())) {
          out.add(m.module().name());
        }
      }
    }
    return out;
  }

  /** The first error of a verdict that does not load (so has one), as the kernel would log it. */
  private static String refusal(ModuleVerdict v, String release) {
    return v.errors().get(0).kernelMessage(v.name()) + " (build for " + release + ")";
  }

  private static boolean onlyMissingDependencies(ModuleVerdict v) {
    return !v.errors().isEmpty() && v.errors().stream().allMatch(p -> p.accept(MISSING_PROVIDER));
  }

  /** True for a problem that a missing (or unloadable) symbol provider explains. */
  private static final Problem.Visitor<Boolean> MISSING_PROVIDER = new Problem.Visitor<>() {
    @Override
    public Boolean visit(Problem.CrcMismatch p) {
      return false;
    }

    @Override
    public Boolean visit(Problem.ModuleLayoutMismatch p) {
      return false;
    }

    @Override
    public Boolean visit(Problem.UnknownSymbol p) {
      return true;
    }

    @Override
    public Boolean visit(Problem.GplOnlySymbol p) {
      return false;
    }

    @Override
    public Boolean visit(Problem.NamespaceNotImported p) {
      return false;
    }

    @Override
    public Boolean visit(Problem.NoSymbolVersion p) {
      return false;
    }

    @Override
    public Boolean visit(Problem.VermagicMismatch p) {
      return false;
    }

    @Override
    public Boolean visit(Problem.ForcedLoad p) {
      return false;
    }

    @Override
    public Boolean visit(Problem.DuplicateExport p) {
      return false;
    }

    @Override
    public Boolean visit(Problem.ProviderUnloadable p) {
      return true;
    }

    @Override
    public Boolean visit(Problem.MissingDependency p) {
      return false;
    }
  };

  /**
   * The build's modules split into dependency groups: connected components of "uses an export of"
   * and "depends= names", both inside the build.
   */
  static List<List<ModuleBuild.Member>> groups(ModuleBuild b) {
    List<ModuleBuild.Member> ms = b.modules();
    int n = ms.size();
    int[] parent = new int[n];
    for (int i = 0; i < n; i++) {
      parent[i] = i;
    }
    Map<String, Integer> byName = new HashMap<>();
    Map<String, Integer> exporter = new HashMap<>();
    for (int i = 0; i < n; i++) {
      byName.put(ms.get(i).module().name(), i);
      for (KernelSymbol s : ms.get(i).module().exports()) {
        exporter.putIfAbsent(s.name(), i);
      }
    }
    for (int i = 0; i < n; i++) {
      ModuleFile m = ms.get(i).module();
      for (String d : m.modinfo().depends()) {
        Integer j = byName.get(d);
        if (j != null) {
          union(parent, i, j);
        }
      }
      for (Import imp : m.imports()) {
        Integer j = exporter.get(imp.name());
        if (j != null && j != i) {
          union(parent, i, j);
        }
      }
    }
    Map<Integer, List<ModuleBuild.Member>> groups = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      groups.computeIfAbsent(find(parent, i), x -> new ArrayList<>()).add(ms.get(i));
    }
    return new ArrayList<>(groups.values());
  }

  private static int find(int[] p, int i) {
    while (p[i] != i) {
      p[i] = p[p[i]];
      i = p[i];
    }
    return i;
  }

  private static void union(int[] p, int a, int b) {
    p[find(p, a)] = find(p, b);
  }

  private static String groupKey(List<ModuleBuild.Member> group) {
    return String.join(",", group.stream().map(m -> m.module().name()).sorted().toList());
  }

  /**
   * A linked module that has an in-tree namesake needs an override line, or depmod ranks the
   * in-tree one first and the link is never used (what RHEL's weak-modules leaves undone).
   */
  static List<String> overrides(String k, KernelAbi abi, List<Inventory.Link> links) {
    List<String> out = new ArrayList<>();
    for (Inventory.Link l : links) {
      String name = moduleName(l.path());
      String inTree = abi.modulePath(name).orElse(null);
      if (inTree != null && !inTree.startsWith("weak-updates/")) {
        String stem = l.path().substring(l.path().lastIndexOf('/') + 1).replaceFirst("\\.ko(\\.(xz|zst|gz))?$", "");
        out.add("override " + stem + " " + k + " " + WeakLayout.overrideDir(l.path()));
      }
    }
    return out;
  }

  static String moduleName(String path) {
    return org.kmodkit.core.elf.ModuleReader.nameFromPath(path);
  }

  private static Plan.Change change(Inventory.Generation current, boolean unfinished, List<Inventory.Link> links, List<String> overrides) {
    if (current == null) {
      // an interrupted removal still owes depmod and the clean-up: finishing it is a removal
      return !links.isEmpty() ? Plan.Change.UPDATE : unfinished ? Plan.Change.REMOVE : Plan.Change.NONE;
    }
    if (links.isEmpty()) {
      return Plan.Change.REMOVE;
    }
    if (new HashSet<>(current.links()).equals(new HashSet<>(links)) && new HashSet<>(current.overrides()).equals(new HashSet<>(overrides))) {
      return current.depmodDone() ? Plan.Change.NONE : Plan.Change.DEPMOD_ONLY;
    }
    return Plan.Change.UPDATE;
  }

  private static List<String> changed(Inventory.Generation current, List<Inventory.Link> links) {
    Set<Inventory.Link> before = current == null ? Set.of() : new HashSet<>(current.links());
    Set<Inventory.Link> after = new HashSet<>(links);
    Set<String> out = new TreeSet<>();
    for (Inventory.Link l : before) {
      if (!after.contains(l)) {
        out.add(moduleName(l.path()));
      }
    }
    for (Inventory.Link l : after) {
      if (!before.contains(l)) {
        out.add(moduleName(l.path()));
      }
    }
    return new ArrayList<>(out);
  }
}
