package org.kmodkit.core.tree;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.core.io.InputFiles;

/**
 * {@code lib/modules/<release>/modules.dep} as depmod writes it and modprobe reads it: one line per
 * module, {@code path: dependency…}, paths below the release's tree. The path a name is listed at is
 * the file modprobe loads for it, after depmod.d's {@code search} and {@code override} rules (a
 * vendor module linked into weak-updates/ over the in-tree one), and its dependencies are what
 * modprobe loads first.
 *
 * @param modules module name to its entry, in file order (the first line of a name wins)
 */
public record ModulesDep(Map<String, Entry> modules) {
  /** Far above any real kernel's (a few MiB at most); a bigger file is not depmod's. */
  static final int MAX_BYTES = 64 << 20;

  public ModulesDep {
    modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
  }

  /**
   * One line.
   *
   * @param path the module's path below lib/modules/&lt;release&gt; ("weak-updates/mlnx/mlx5_core.ko")
   * @param needs the names of the modules it needs, as listed
   */
  public record Entry(String path, List<String> needs) {
    public Entry {
      needs = List.copyOf(needs);
    }
  }

  /** The modules.dep of {@code release} under {@code root}; empty when depmod has not written one. */
  public static Optional<ModulesDep> read(Sysroot root, String release) throws BadInputException {
    return read(root, release, MAX_BYTES);
  }

  static Optional<ModulesDep> read(Sysroot root, String release, int maxBytes) throws BadInputException {
    Path named = root.modulesDir(release).resolve("modules.dep");
    Optional<Path> file = root.resolve(Sysroot.modulesPath(release, "modules.dep"));
    if (file.isEmpty()) {
      if (Files.isSymbolicLink(named)) {
        throw new BadInputException(named.toString(), "a link that leads nowhere inside " + root.root() + "; run depmod -b " + root.root() + " " + release + " to write it again");
      }
      return Optional.empty();
    }
    byte[] bytes = InputFiles.head(file.get(), named.toString(), maxBytes + 1);
    if (bytes.length > maxBytes) {
      throw new BadInputException(named.toString(), "is larger than " + (maxBytes >> 20) + " MiB, more than depmod writes for any kernel; run depmod -b " + root.root() + " " + release + " to write it again");
    }
    return Optional.of(parse(named.toString(), release, new String(bytes, StandardCharsets.UTF_8)));
  }

  /** Parses {@code text}; {@code source} names the file in errors. Every path must lie below the release's tree. */
  public static ModulesDep parse(String source, String release, String text) throws BadInputException {
    Map<String, Entry> out = new LinkedHashMap<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw bad(source, release, n, "has no ':' after the module's path");
      }
      String path = below(source, release, n, line.substring(0, colon).strip());
      List<String> needs = new ArrayList<>();
      for (String d : line.substring(colon + 1).strip().split("[ \t]+")) {
        if (!d.isEmpty()) {
          needs.add(ModuleReader.nameFromPath(below(source, release, n, d)));
        }
      }
      out.putIfAbsent(ModuleReader.nameFromPath(path), new Entry(path, needs));
    }
    return new ModulesDep(out);
  }

  /**
   * {@code path} as a plain relative path below lib/modules/&lt;release&gt; (depmod writes an
   * absolute one for a module outside it, which modprobe would load from anywhere: refused), naming
   * a module file; links in it are followed later, inside the root.
   */
  private static String below(String source, String release, int line, String path) throws BadInputException {
    String prefix = Sysroot.modulesPath(release) + "/";
    String rel = path.startsWith(prefix) ? path.substring(prefix.length()) : path;
    boolean plain = !rel.isEmpty() && !rel.startsWith("/") && ModuleFiles.isModuleFileName(rel) && rel.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    for (String part : rel.split("/", -1)) {
      plain = plain && !part.isEmpty() && !part.equals(".") && !part.equals("..");
    }
    if (!plain) {
      throw bad(source, release, line, "names '" + path + "', not a module file below " + Sysroot.modulesPath(release));
    }
    return rel;
  }

  private static BadInputException bad(String source, String release, int line, String problem) {
    return new BadInputException(source, "line " + line + " " + problem + "; run depmod " + release + " to write it again");
  }
}
