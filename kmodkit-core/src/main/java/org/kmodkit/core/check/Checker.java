package org.kmodkit.core.check;

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
import org.kmodkit.core.abi.Crc;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.abi.Vermagic;
import org.kmodkit.core.check.Problem.Severity;
import org.kmodkit.core.elf.ElfArch;
import org.kmodkit.core.elf.Import;
import org.kmodkit.core.elf.ModInfo;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.SymbolVersion;

/**
 * Judges a set of modules against a kernel as the loader would (kernel/module/main.c and
 * version.c): module_layout, vermagic, then every undefined symbol — exporter found (vmlinux, the
 * set's own modules, the kernel's modules not overridden by the set), GPL visibility, CRC,
 * namespace. A module whose symbol provider in the set cannot load cannot load either.
 */
public final class Checker {
  private final KernelAbi kernel;

  public Checker(KernelAbi kernel) {
    this.kernel = kernel;
  }

  /**
   * Refuses a module built for another architecture than the kernel's: that is a wrong input, not
   * a verdict.
   */
  public static void requireSameArch(ModuleFile module, KernelAbi kernel) throws BadInputException {
    ElfArch k = kernel.arch();
    ElfArch m = module.arch();
    if (k != null && (k.machine() != m.machine() || k.bits() != m.bits() || !k.order().equals(m.order()))) {
      throw new BadInputException(module.path(), "is built for " + m + " but the kernel" + (kernel.release() == null ? "" : " " + kernel.release()) + " is " + k + " (the kernel would refuse it: Invalid architecture in ELF header: " + m.machine() + "); check it against a kernel of its own architecture");
    }
  }

  /** Where a symbol comes from, as the loader would find it. */
  private record Provider(KernelSymbol symbol, ModuleFile setModule) {}

  /** Per-module facts collected before dependencies are propagated. */
  private static final class Work {
    final ModuleFile module;
    final List<Problem> problems = new ArrayList<>();
    // provider module -> every symbol taken from it (the kernel names each when the provider is absent)
    final Map<String, Set<String>> setProviders = new LinkedHashMap<>();
    final Set<String> needs = new LinkedHashSet<>();
    int symbols;
    int differing;

    Work(ModuleFile module) {
      this.module = module;
    }

    boolean hasErrors() {
      for (Problem p : problems) {
        if (p.severity() == Severity.ERROR) {
          return true;
        }
      }
      return false;
    }
  }

  public SetVerdict check(String setName, List<ModuleFile> modules) {
    Map<String, ModuleFile> byName = new LinkedHashMap<>();
    for (ModuleFile m : modules) {
      byName.putIfAbsent(m.name(), m);
    }
    Map<String, Provider> setExports = new HashMap<>();
    for (ModuleFile m : byName.values()) {
      for (KernelSymbol s : m.exports()) {
        setExports.putIfAbsent(s.name(), new Provider(s, m));
      }
    }
    // each module is judged on its own against read-only tables: both cores take a share
    List<Work> judged = modules.stream().map(Work::new).toList();
    judged.parallelStream().forEach(w -> judge(w, byName, setExports));
    Map<String, Work> work = new LinkedHashMap<>();
    for (Work w : judged) {
      work.put(w.module.path(), w);
    }
    propagate(work, byName);
    List<ModuleVerdict> verdicts = new ArrayList<>(work.size());
    for (Work w : work.values()) {
      verdicts.add(verdict(w));
    }
    return new SetVerdict(setName, verdicts);
  }

  private void judge(Work w, Map<String, ModuleFile> setByName, Map<String, Provider> setExports) {
    ModuleFile m = w.module;
    boolean modversions = kernel.modversions();
    boolean hasVersions = m.hasVersions();
    // the first version of a name counts, as check_version's linear search finds it. A HashMap:
    // its bins turn into trees when names are made to collide, so a hostile __versions of
    // 100,000 colliding names costs n log n, not n² (a hand-made open-addressed table did)
    Map<String, Crc> versions = new HashMap<>(m.versions().size() * 2);
    for (SymbolVersion v : m.versions()) {
      versions.putIfAbsent(v.name(), v.crc());
    }
    // check_modstruct_version: module_layout first
    if (modversions) {
      KernelSymbol layout = kernel.vmlinuxSymbols().get("module_layout");
      if (!hasVersions) {
        forced(w, "module_layout");
      } else if (layout != null && layout.crc() != null) {
        Crc mine = versions.get("module_layout");
        w.symbols++;
        if (mine == null) {
          w.problems.add(new Problem.NoSymbolVersion("module_layout"));
        } else if (!mine.equals(layout.crc())) {
          w.differing++;
          w.problems.add(new Problem.ModuleLayoutMismatch(mine, layout.crc()));
        }
      }
    }
    // check_modinfo: vermagic
    String magic = m.vermagic();
    if (magic == null) {
      forced(w, "bad vermagic");
    } else if (kernel.vermagic() != null && !Vermagic.sameMagic(magic, kernel.vermagic(), modversions && m.hasBasicVersions())) {
      w.problems.add(new Problem.VermagicMismatch(magic, kernel.vermagic()));
    }
    // verify_exported_symbols: no export may clash with the kernel's own
    for (KernelSymbol e : m.exports()) {
      if (kernel.vmlinuxSymbols().containsKey(e.name())) {
        w.problems.add(new Problem.DuplicateExport(e.name(), KernelSymbol.VMLINUX));
      }
    }
    // simplify_symbols / resolve_symbol: every undefined symbol
    boolean gplOk = ModInfo.isGplCompatible(m.modinfo().license());
    Set<String> imported = new HashSet<>(m.modinfo().importedNamespaces());
    for (Import imp : m.imports()) {
      String name = imp.name();
      if (ignoredUndefined(m.arch(), name)) {
        continue;
      }
      Provider p = find(name, m, setByName, setExports);
      if (p == null) {
        if (!imp.weak()) {
          w.symbols++;
          w.problems.add(new Problem.UnknownSymbol(name));
        }
        continue;
      }
      w.symbols++;
      KernelSymbol s = p.symbol();
      if (s.type().gplOnly() && !gplOk) {
        w.problems.add(new Problem.GplOnlySymbol(name, s.exporter(), m.modinfo().license()));
        continue;
      }
      if (p.setModule() != null) {
        w.setProviders.computeIfAbsent(p.setModule().name(), k -> new LinkedHashSet<>()).add(name);
        w.needs.add(p.setModule().name());
      } else if (!s.fromVmlinux()) {
        w.needs.add(s.exporter());
      }
      if (modversions && hasVersions && s.crc() != null) {
        Crc mine = versions.get(name);
        if (mine == null) {
          w.problems.add(new Problem.NoSymbolVersion(name));
        } else if (!mine.equals(s.crc())) {
          w.differing++;
          w.problems.add(new Problem.CrcMismatch(name, mine, s.crc(), s.exporter()));
        }
      }
      if (!s.namespace().isEmpty() && !imported.contains(s.namespace())) {
        w.problems.add(new Problem.NamespaceNotImported(name, s.namespace(), kernel.allowMissingNamespaceImports() ? Severity.WARNING : Severity.ERROR));
      }
    }
    for (String d : m.modinfo().depends()) {
      if (setByName.containsKey(d)) {
        w.setProviders.computeIfAbsent(d, k -> new LinkedHashSet<>());
        w.needs.add(d);
      } else if (kernel.hasModule(d)) {
        if (!kernel.isBuiltin(d)) {
          w.needs.add(d);
        }
      } else if (!kernel.moduleNames().isEmpty()) {
        w.problems.add(new Problem.MissingDependency(d));
      }
    }
  }

  private void forced(Work w, String reason) {
    w.problems.add(new Problem.ForcedLoad(reason, kernel.forceLoad() ? Severity.WARNING : Severity.ERROR));
  }

  /** find_symbol: vmlinux first, then loaded modules (the set's, else the kernel's own). */
  private Provider find(String name, ModuleFile self, Map<String, ModuleFile> setByName, Map<String, Provider> setExports) {
    KernelSymbol v = kernel.vmlinuxSymbols().get(name);
    if (v != null) {
      return new Provider(v, null);
    }
    Provider own = setExports.get(name);
    if (own != null && own.setModule() != self) {
      return own;
    }
    KernelSymbol t = kernel.moduleSymbols().get(name);
    if (t != null && !setByName.containsKey(t.exporter())) {
      return new Provider(t, null);
    }
    return null;
  }

  /** ignore_undef_symbol and the arch-provided symbols the loader resolves itself. */
  static boolean ignoredUndefined(ElfArch arch, String name) {
    switch (arch.machine()) {
      case ElfArch.EM_386:
      case ElfArch.EM_X86_64:
        return name.equals("_GLOBAL_OFFSET_TABLE_");
      case ElfArch.EM_PPC64:
        return name.equals(".TOC.") || name.equals("TOC.");
      default:
        return false;
    }
  }

  /**
   * A module needing a symbol from a set module that cannot load cannot load either: close the
   * unloadable set over the provider edges, then name every unloadable provider in each verdict.
   */
  private static void propagate(Map<String, Work> work, Map<String, ModuleFile> byName) {
    Map<String, Work> byModuleName = new HashMap<>();
    for (Work w : work.values()) {
      byModuleName.putIfAbsent(w.module.name(), w);
    }
    // who needs each provider, then a walk from the modules that cannot load: each edge once
    Map<String, List<String>> dependents = new HashMap<>();
    Set<String> unloadable = new HashSet<>();
    java.util.ArrayDeque<String> walk = new java.util.ArrayDeque<>();
    for (Work w : work.values()) {
      String name = w.module.name();
      for (String provider : w.setProviders.keySet()) {
        if (!provider.equals(name)) {
          dependents.computeIfAbsent(provider, k -> new ArrayList<>()).add(name);
        }
      }
      if (w.hasErrors() && unloadable.add(name)) {
        walk.add(name);
      }
    }
    while (!walk.isEmpty()) {
      for (String dependent : dependents.getOrDefault(walk.poll(), List.of())) {
        if (unloadable.add(dependent)) {
          walk.add(dependent);
        }
      }
    }
    for (Work w : work.values()) {
      for (Map.Entry<String, Set<String>> e : w.setProviders.entrySet()) {
        String provider = e.getKey();
        if (!provider.equals(w.module.name()) && unloadable.contains(provider) && byModuleName.containsKey(provider)) {
          if (e.getValue().isEmpty()) {
            w.problems.add(new Problem.ProviderUnloadable(null, provider)); // needed by depends= alone
          }
          for (String symbol : e.getValue()) {
            w.problems.add(new Problem.ProviderUnloadable(symbol, provider));
          }
        }
      }
    }
  }

  private ModuleVerdict verdict(Work w) {
    boolean loads = !w.hasErrors();
    return new ModuleVerdict(w.module, kernel.release(), loads, w.problems, w.symbols, w.differing, kernel.modversions() && w.module.hasVersions(), new ArrayList<>(w.needs));
  }
}
