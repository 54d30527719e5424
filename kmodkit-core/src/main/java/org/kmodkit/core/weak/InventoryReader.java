package org.kmodkit.core.weak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.Printable;
import org.kmodkit.core.tree.KernelAbiLoader;
import org.kmodkit.core.tree.ModuleFiles;
import org.kmodkit.core.tree.Sysroot;

/** Reads a root into an {@link Inventory}; reads only, never writes. */
public final class InventoryReader {
  private final SystemTools tools;

  public InventoryReader(SystemTools tools) {
    this.tools = tools;
  }

  public Inventory read(Sysroot root) throws BadInputException, EnvironmentException {
    Path modules = root.modulesDir();
    if (!Files.isDirectory(modules)) {
      throw new BadInputException(modules.toString(), "does not exist: this root has no installed kernels (a container?); pass --root DIR of a system image, or try 'kmodkit demo'");
    }
    RootGuard guard = new RootGuard(root);
    try {
      guard.requireInside(modules);
    } catch (IOException e) {
      throw new EnvironmentException("cannot resolve " + modules + " (" + e.getMessage() + ")", e);
    }
    WeakLayout layout = new WeakLayout(root);
    List<String> notes = new ArrayList<>();
    List<String> kernels = new ArrayList<>();
    List<String> unusable = new ArrayList<>();
    for (String k : list(modules)) {
      if (k.startsWith(".") || !Files.isDirectory(modules.resolve(k), LinkOption.NOFOLLOW_LINKS) || hostileName(modules.resolve(k), notes)) {
        continue;
      }
      if (KernelAbiLoader.hasAbiSource(root, k)) {
        kernels.add(k);
      } else {
        unusable.add(k);
        notes.add("kernel " + k + " has no symvers, headers or image: its modules are listed, nothing is linked into it (install linux-headers-" + k + " or kernel-devel)");
      }
    }
    kernels.sort(ReleaseOrder.newestFirst());
    List<String> all = new ArrayList<>(kernels);
    all.addAll(unusable);
    // out-of-tree module files: extra/ and updates/ of every kernel
    Map<String, List<String>> relByKernel = new LinkedHashMap<>();
    List<String> absolute = new ArrayList<>();
    for (String k : all) {
      List<String> rels = new ArrayList<>();
      for (String top : List.of("extra", "updates")) {
        Path dir = root.modulesDir(k).resolve(top);
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          try (Stream<Path> s = Files.walk(dir)) {
            s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && ModuleFiles.isModuleFileName(p.getFileName().toString()) && !hostileName(p, notes))
                .sorted().forEach(p -> rels.add(root.modulesDir(k).relativize(p).toString()));
          } catch (IOException | UncheckedIOException e) {
            notes.add("cannot list " + dir + " (" + e.getMessage() + ")");
          }
        }
      }
      relByKernel.put(k, rels);
      for (String r : rels) {
        absolute.add(Sysroot.modulesPath(k, r));
      }
    }
    Map<String, String> owners = owners(root, absolute, notes);
    List<ModuleBuild> builds = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : relByKernel.entrySet()) {
      String k = e.getKey();
      List<Path> files = e.getValue().stream().map(r -> root.modulesDir(k).resolve(r)).toList();
      List<ModuleFiles.Read> reads = ModuleFiles.readAll(files, Path::toString);
      Map<String, List<ModuleBuild.Member>> bySet = new LinkedHashMap<>();
      for (int i = 0; i < reads.size(); i++) {
        ModuleFiles.Read r = reads.get(i);
        String rel = e.getValue().get(i);
        if (!r.ok()) {
          notes.add("cannot read " + r.error().getMessage() + "; left out");
          continue;
        }
        String set = owners.getOrDefault(Sysroot.modulesPath(k, rel), setOf(rel));
        bySet.computeIfAbsent(set, x -> new ArrayList<>()).add(new ModuleBuild.Member(rel, r.module()));
      }
      bySet.forEach((set, members) -> builds.add(new ModuleBuild(set, k, members)));
    }
    Map<String, Inventory.Generation> current = new HashMap<>();
    List<Inventory.ForeignLink> foreign = new ArrayList<>();
    for (String k : all) {
      generation(layout, guard, k, notes).ifPresent(g -> current.put(k, g));
      try {
        RootGuard.requireOurDepmodConfLink(layout, k);
      } catch (IOException | BadInputException e) {
        notes.add(e.getMessage()); // applying refuses it; a dry run and status say so
      }
      foreignLinks(root, layout, k, foreign, notes);
    }
    List<String> unfinished = new ArrayList<>();
    for (String k : list(layout.stateDir())) {
      if (Files.isDirectory(layout.kernelState(k), LinkOption.NOFOLLOW_LINKS) && !current.containsKey(k)) {
        unfinished.add(k);
      }
    }
    return new Inventory(root, kernels, unusable, builds, current, unfinished, foreign, notes);
  }

  /**
   * A name a control character is in (a newline, a tab, ESC…) is left out, with a note: modules.dep,
   * depmod.d lines and kmodkit's manifest are line- and field-based, and no real package ships one.
   */
  private static boolean hostileName(Path p, List<String> notes) {
    if (!Printable.hasControl(p.toString())) {
      return false;
    }
    notes.add("left out " + p + ": its name holds a control character, which modules.dep, depmod.d and kmodkit's manifest cannot carry; rename it");
    return true;
  }

  /** Without a package database: one set per directory under extra/ (or updates/); a loose file is its own set. */
  static String setOf(String rel) {
    String[] parts = rel.split("/");
    if (parts.length >= 3) {
      return parts[0] + "/" + parts[1];
    }
    return rel.replaceFirst("\\.ko(\\.(xz|zst|gz))?$", "");
  }

  private Map<String, String> owners(Sysroot root, List<String> paths, List<String> notes) throws EnvironmentException {
    Map<String, String> out = new HashMap<>();
    Path dpkg = root.path("/var/lib/dpkg/info");
    if (Files.isDirectory(dpkg)) {
      for (String f : list(dpkg)) {
        if (!f.endsWith(".list")) {
          continue;
        }
        String pkg = f.substring(0, f.length() - 5).replaceFirst(":.*$", "");
        if (Printable.hasControl(pkg)) {
          continue; // dpkg allows no such package name: not a package's list
        }
        try {
          for (String line : Files.readAllLines(dpkg.resolve(f))) {
            String p = line.startsWith("/usr/lib/modules/") ? line.substring(4) : line;
            if (p.startsWith(Sysroot.modulesPath(""))) {
              out.put(p, pkg);
            }
          }
        } catch (IOException e) {
          notes.add("cannot read " + dpkg.resolve(f) + " (" + e.getMessage() + ")");
        }
      }
    }
    if (!paths.isEmpty() && (Files.isDirectory(root.path("/var/lib/rpm")) || Files.isDirectory(root.path("/usr/lib/sysimage/rpm")))) {
      tools.rpmOwners(root, paths).forEach((path, pkg) -> {
        if (!Printable.hasControl(pkg)) {
          out.put(path, pkg);
        }
      });
    }
    return out;
  }

  /** kmodkit's live generation, read only through a live link kmodkit made and only inside the root. */
  private static Optional<Inventory.Generation> generation(WeakLayout layout, RootGuard guard, String k, List<String> notes) {
    Path live = layout.liveLink(k);
    if (!Files.isSymbolicLink(live)) {
      return Optional.empty();
    }
    try {
      String linkTarget = Files.readSymbolicLink(live).toString();
      RootGuard.requireOurLiveLink(layout, k);
      Path target = layout.kernelState(k).resolve(layout.generationOf(k, linkTarget));
      guard.requireInside(target);
      Inventory.Generation g = Manifest.read(k, target);
      if (g == null) {
        notes.add("kmodkit's weak-updates generation for " + k + " (" + target + ") is incomplete; the next apply replaces it");
      }
      return Optional.ofNullable(g);
    } catch (IOException e) {
      notes.add("cannot read " + live + " (" + e.getMessage() + ")");
      return Optional.empty();
    } catch (BadInputException e) {
      notes.add(e.getMessage());
      return Optional.empty();
    }
  }

  private static void foreignLinks(Sysroot root, WeakLayout layout, String k, List<Inventory.ForeignLink> out, List<String> notes) {
    Path weak = layout.weakUpdates(k);
    if (!Files.isDirectory(weak, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(weak)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.equals(layout.liveLink(k))) {
          continue;
        }
        if (Files.isSymbolicLink(p)) {
          String target = Files.readSymbolicLink(p).toString();
          String inside = target.startsWith("/") ? target : root.inside(p.getParent()) + "/" + target;
          boolean dangling = root.resolve(inside).isEmpty();
          out.add(new Inventory.ForeignLink(k, weak.relativize(p).toString(), target, dangling));
          if (dangling) {
            notes.add("weak-updates link " + p + " → " + target + (climbsOutOfRoot(inside) ? " escapes the root" : " is dangling")
                + "; kmodkit did not make it, leaves it and never follows it (remove it if its package is gone)");
          }
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && ModuleFiles.isModuleFileName(p.getFileName().toString())) {
          notes.add("weak-updates holds a regular file " + p + " where a link should be; kmodkit did not make it and leaves it");
        }
      }
    } catch (IOException | UncheckedIOException e) {
      notes.add("cannot list " + weak + " (" + e.getMessage() + ")");
    }
  }

  /** {@code absolute} (as seen inside the root) climbs above the root with "..". */
  static boolean climbsOutOfRoot(String absolute) {
    int depth = 0;
    for (String part : absolute.split("/")) {
      if (part.equals("..")) {
        if (--depth < 0) {
          return true;
        }
      } else if (!part.isEmpty() && !part.equals(".")) {
        depth++;
      }
    }
    return false;
  }

  static List<String> list(Path dir) {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        out.add(p.getFileName().toString());
      }
    } catch (IOException e) {
      return out;
    }
    out.sort(null);
    return out;
  }
}
