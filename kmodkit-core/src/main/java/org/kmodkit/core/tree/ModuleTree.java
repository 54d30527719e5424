package org.kmodkit.core.tree;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
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

  /** One module of the tree: its path below the tree ("kernel/drivers/uio/uio.ko"), its file, its declarations. */
  public record TreeModule(String relativePath, Path file, ModuleFile module) {
    public String name() {
      return module.name();
    }
  }

  /** A kernel of which only the release is known (a bare vmlinuz): no modules to draw on. */
  public static ModuleTree none(String release) {
    return new ModuleTree(release, null, Map.of(), Set.of(), List.of());
  }

  /** Reads every module of {@code <root>/lib/modules/<release>} (in parallel). */
  public static ModuleTree read(Sysroot root, String release) throws BadInputException {
    Path dir = root.modulesDir(release);
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir.toString(), "no such kernel tree: kernel " + release + " is not installed under " + root.root() + " (ls " + root.modulesDir() + " lists the installed releases)");
    }
    List<ModuleFiles.Read> reads = ModuleFiles.readAll(ModuleFiles.find(dir), Path::toString);
    Map<String, TreeModule> byName = new HashMap<>();
    List<BadInputException> bad = new java.util.ArrayList<>();
    for (ModuleFiles.Read r : reads) {
      if (!r.ok()) {
        bad.add(r.error());
        continue;
      }
      String rel = dir.relativize(r.file()).toString().replace('\\', '/');
      TreeModule t = new TreeModule(rel, r.file(), r.module());
      byName.merge(t.name(), t, (a, b) -> preferred(b, a) ? b : a);
    }
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
    return new ModuleTree(release, dir, byName, builtin, bad);
  }

  /**
   * depmod's default search order when two files give the same module name: updates/ first, then
   * the kernel's own (kernel/), then anything else (extra/, weak-updates/), by path.
   */
  static boolean preferred(TreeModule x, TreeModule y) {
    int rx = rank(x.relativePath());
    int ry = rank(y.relativePath());
    return rx != ry ? rx < ry : x.relativePath().compareTo(y.relativePath()) < 0;
  }

  static int rank(String relativePath) {
    if (relativePath.startsWith("updates/")) {
      return 0;
    }
    if (relativePath.startsWith("kernel/")) {
      return 1;
    }
    return 2;
  }

  public Optional<TreeModule> module(String name) {
    return Optional.ofNullable(modules.get(name));
  }

  public boolean isBuiltin(String name) {
    return builtin.contains(name);
  }
}
