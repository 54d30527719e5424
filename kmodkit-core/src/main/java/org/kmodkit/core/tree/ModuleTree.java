package org.kmodkit.core.tree;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;

/**
 * The modules one installed kernel ships ({@code lib/modules/<release>}): each by name, with its
 * file and what it declares, plus the names built into the kernel (modules.builtin).
 *
 * @param release the kernel release (the directory name)
 * @param dir the tree on this machine, or null for a kernel without a tree
 * @param modules module name to the file modprobe would pick for it
 * @param builtin names of modules built into vmlinux: nothing to load for them
 * @param unreadable files of the tree that could not be read
 */
public record ModuleTree(String release, Path dir, Map<String, TreeModule> modules, Set<String> builtin, List<BadInputException> unreadable) {
  public ModuleTree {
    modules = Collections.unmodifiableMap(new HashMap<>(modules));
    builtin = Set.copyOf(builtin);
    unreadable = List.copyOf(unreadable);
  }

  /**
   * One module of the tree: its path below the tree ("kernel/drivers/uio/uio.ko"), its file, its
   * declarations, and the names of the modules modprobe loads before it (modules.dep's, else its
   * {@code depends=}).
   */
  public record TreeModule(String relativePath, Path file, ModuleFile module, List<String> needs) {
    public TreeModule {
      needs = List.copyOf(needs);
    }

    /** A module no modules.dep speaks for: it needs what its {@code depends=} names. */
    public TreeModule(String relativePath, Path file, ModuleFile module) {
      this(relativePath, file, module, module.modinfo().depends());
    }

    public String name() {
      return module.name();
    }
  }

  /** A kernel of which only the release is known (a bare vmlinuz): no modules to draw on. */
  public static ModuleTree none(String release) {
    return new ModuleTree(release, null, Map.of(), Set.of(), List.of());
  }

  /**
   * The modules of {@code <root>/lib/modules/<release>} as modprobe finds them: each name at the
   * path its modules.dep lists (depmod.d's rules applied), with the dependencies listed there; only
   * a tree depmod never ran on is searched instead, one file of each name chosen by the root's
   * depmod.d as depmod would choose it (see {@link DepmodConfig#prefers}). Read in parallel.
   */
  public static ModuleTree read(Sysroot root, String release) throws BadInputException {
    Path dir = root.modulesDir(release);
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir.toString(), "no such kernel tree: kernel " + release + " is not installed under " + root.root() + " (ls " + root.modulesDir() + " lists the installed releases)");
    }
    Optional<ModulesDep> dep = ModulesDep.read(root, release);
    Map<String, TreeModule> byName = new HashMap<>();
    List<BadInputException> bad = new ArrayList<>();
    if (dep.isPresent()) {
      fromModulesDep(root, release, dep.get(), byName, bad);
      return new ModuleTree(release, dir, byName, builtin(dir), bad);
    }
    DepmodConfig depmodD = DepmodConfig.read(root, release);
    bad.addAll(depmodD.unread());
    List<ModuleFiles.Read> reads = ModuleFiles.readAll(ModuleFiles.findInTree(dir, depmodD.excluded()), Path::toString);
    for (ModuleFiles.Read r : reads) {
      if (!r.ok()) {
        bad.add(r.error());
        continue;
      }
      String rel = dir.relativize(r.file()).toString().replace('\\', '/');
      TreeModule t = new TreeModule(rel, r.file(), r.module());
      byName.merge(t.name(), t, (a, b) -> depmodD.prefers(b.relativePath(), a.relativePath()) ? b : a);
    }
    return new ModuleTree(release, dir, byName, builtin(dir), bad);
  }

  /**
   * Each module modules.dep lists, from the file its path leads to inside the root (through the
   * weak-updates links to another kernel's extra/); a path leading nowhere is left out, as
   * modprobe would fail to load it.
   */
  private static void fromModulesDep(Sysroot root, String release, ModulesDep dep, Map<String, TreeModule> byName, List<BadInputException> bad) {
    Map<Path, Map.Entry<String, ModulesDep.Entry>> files = new LinkedHashMap<>();
    for (Map.Entry<String, ModulesDep.Entry> e : dep.modules().entrySet()) {
      String named = Sysroot.modulesPath(release, e.getValue().path());
      Optional<Path> f = root.resolve(named);
      if (f.isPresent()) {
        files.putIfAbsent(f.get(), e);
      } else {
        bad.add(new BadInputException(root.path(named).toString(), "listed in modules.dep but missing (or a link leading out of " + root.root() + "); run depmod " + release));
      }
    }
    List<ModuleFiles.Read> reads = ModuleFiles.readAll(new ArrayList<>(files.keySet()), f -> root.path(Sysroot.modulesPath(release, files.get(f).getValue().path())).toString());
    for (ModuleFiles.Read r : reads) {
      if (!r.ok()) {
        bad.add(r.error());
        continue;
      }
      Map.Entry<String, ModulesDep.Entry> e = files.get(r.file());
      byName.put(e.getKey(), new TreeModule(e.getValue().path(), r.file(), r.module(), e.getValue().needs()));
    }
  }

  /** modules.builtin: the names built into the kernel. */
  private static Set<String> builtin(Path dir) throws BadInputException {
    Set<String> builtin = new HashSet<>();
    Path list = dir.resolve("modules.builtin");
    if (Files.isRegularFile(list)) {
      try {
        for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            builtin.add(ModuleReader.nameFromPath(line.trim()));
          }
        }
      } catch (java.io.IOException e) {
        throw new BadInputException(list.toString(), "cannot read (" + e.getMessage() + "); check the permissions");
      }
    }
    return builtin;
  }

  public Optional<TreeModule> module(String name) {
    return Optional.ofNullable(modules.get(name));
  }

  public boolean isBuiltin(String name) {
    return builtin.contains(name);
  }
}
