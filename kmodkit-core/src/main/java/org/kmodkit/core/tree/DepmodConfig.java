package org.kmodkit.core.tree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.InputFiles;

/**
 * A root's depmod.d as kmod's depmod (kmod 30) reads it, for the one thing it decides here: which
 * of several files of one module name depmod lists in modules.dep. {@code external} directories
 * are not searched (kmod 30 reads them from the host even under {@code -b}).
 *
 * @param search the search entries in the order read ("updates", "built-in", "extra", …); only
 *     "updates" when no file has a search line
 * @param overrides "subdir/module" of each override line for this kernel, in the order read
 * @param excluded names depmod does not descend into (exclude lines)
 * @param unread conf files not read: links leading out of the root
 */
public record DepmodConfig(List<String> search, List<String> overrides, Set<String> excluded, List<BadInputException> unread) {
  /** Where depmod reads its configuration, earlier first: kmod's defaults and merged /usr's /usr/lib. */
  public static final List<String> DIRS = List.of("/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d", "/lib/depmod.d", "/usr/lib/depmod.d");

  /** All conf files together: a real depmod.d holds a few KiB. */
  static final int MAX_BYTES = 1 << 20;

  /** A conf file as listed, and where it leads inside the root (empty: out of it). */
  private record Conf(Path entry, Optional<Path> file) {}
  private static final String BUILT_IN = "built-in";
  private static final String EXTERNAL = "external"; // the external lines' directories: never a path of the tree

  public DepmodConfig {
    search = List.copyOf(search);
    overrides = List.copyOf(overrides);
    excluded = Set.copyOf(excluded);
    unread = List.copyOf(unread);
  }

  /** depmod without any depmod.d: updates/ first, every other path alike. */
  public static final DepmodConfig NONE = new DepmodConfig(List.of("updates"), List.of(), Set.of(), List.of());

  /** Each of {@link #DIRS} present in the root, as the root's links lead (merged /usr: once). */
  public static List<Path> dirs(Sysroot root) {
    List<Path> out = new ArrayList<>();
    for (String d : DIRS) {
      root.resolve(d).filter(Files::isDirectory).filter(p -> !out.contains(p)).ifPresent(out::add);
    }
    return out;
  }

  /**
   * The *.conf files of {@link #dirs}, read in name order; a name in an earlier directory hides it
   * in later ones (depmod's cfg_load).
   */
  public static DepmodConfig read(Sysroot root, String release) throws BadInputException {
    Map<String, Conf> files = new TreeMap<>((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
    List<BadInputException> unread = new ArrayList<>();
    for (Path d : dirs(root)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(d)) {
        for (Path e : entries) {
          String name = e.getFileName().toString();
          if (name.startsWith(".") || name.length() < 6 || !name.endsWith(".conf") || files.containsKey(name)) {
            continue;
          }
          Optional<Path> f = root.locate(d, name);
          if (f.isEmpty() || !Files.isDirectory(f.get())) { // depmod passes over a directory: the name stays free
            files.put(name, new Conf(e, f));
          }
        }
      } catch (IOException ex) {
        throw InputFiles.cannotRead(d.toString(), ex);
      }
    }
    List<String> search = new ArrayList<>();
    List<String> overrides = new ArrayList<>();
    Set<String> excluded = new HashSet<>();
    int left = MAX_BYTES;
    for (Conf c : files.values()) {
      String source = c.entry().toString();
      if (c.file().isEmpty()) {
        unread.add(new BadInputException(source, "a link leading out of " + root.root() + ", not read: its search and override lines are unknown; make it a file inside the root"));
      } else if (Files.exists(c.file().get())) { // a dangling link: depmod cannot open it either
        byte[] bytes = InputFiles.head(c.file().get(), source, left + 1);
        left -= bytes.length;
        if (left < 0) {
          throw new BadInputException(source, "the depmod.d files up to this one hold more than 1 MiB, which no real depmod.d does (a file is a few KiB); remove it or cut it down");
        }
        parse(new String(bytes, StandardCharsets.UTF_8), release, search, overrides, excluded);
      }
    }
    return new DepmodConfig(search.isEmpty() ? NONE.search : search, overrides, excluded, unread);
  }

  /** One file's lines as depmod's cfg_file_parse reads them; lines it does not know are ignored, as depmod does. */
  static void parse(String text, String release, List<String> search, List<String> overrides, Set<String> excluded) {
    for (String line : lines(text)) {
      String[] t = line.split("[ \t]+");
      int i = t.length > 0 && t[0].isEmpty() ? 1 : 0; // strtok skips leading blanks
      if (line.isEmpty() || line.charAt(0) == '#' || i >= t.length) {
        continue;
      }
      List<String> args = Arrays.asList(t).subList(i + 1, t.length);
      switch (t[i]) {
        case "search" -> search.addAll(args);
        case "exclude" -> excluded.addAll(args);
        case "override" -> {
          if (args.size() >= 3 && kernelMatches(args.get(1), release)) {
            overrides.add(args.get(2) + "/" + args.get(0));
          }
        }
        default -> { } // external (see the type), include, make_map_files, or a bad line
      }
    }
  }

  /** freadline_wrapped's lines: a backslash joins the next line or stands for the character after it; a NUL ends the line. */
  private static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        out.add(cut(b));
        b.setLength(0);
      } else if (c == '\\' && i + 1 < text.length()) {
        char n = text.charAt(++i);
        if (n != '\n') {
          b.append(n);
        }
      } else if (c != '\\') {
        b.append(c);
      }
    }
    if (b.length() > 0) {
      out.add(cut(b));
    }
    return out;
  }

  private static String cut(StringBuilder line) {
    int nul = line.indexOf("\0");
    return nul < 0 ? line.toString() : line.substring(0, nul);
  }

  private static final List<String> POSIX_CLASSES = List.of("alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit");

  /** An override's kernel: "*" or a POSIX extended regular expression found in the release. */
  private static boolean kernelMatches(String pattern, String release) {
    if (pattern.equals("*")) {
      return true;
    }
    try {
      String java = pattern;
      for (String c : POSIX_CLASSES) { // regcomp's [[:digit:]]; Java reads [:digit:] as the characters
        java = java.replace("[:" + c + ":]", "\\p{" + (c.equals("xdigit") ? "XDigit" : Character.toUpperCase(c.charAt(0)) + c.substring(1)) + "}");
      }
      return Pattern.compile(java).matcher(release).find();
    } catch (PatternSyntaxException e) {
      return false; // regcomp fails: depmod skips the line
    }
  }

  /**
   * Whether depmod lists the file at {@code a} rather than {@code b} (paths below the tree, one
   * module name), as depmod_module_is_higher_priority decides: an override first (the later line
   * wins), then the first search entry the path lies under, a path under none ranking as
   * {@code built-in} (or last, without one). Where depmod finds both alike it keeps the file its
   * directory walk met first; kmodkit takes the kernel's own, then the first by path, the same on
   * every machine.
   */
  public boolean prefers(String a, String b) {
    int oa = override(a);
    int ob = override(b);
    if (oa != ob) {
      return oa > ob;
    }
    int sa = rank(a);
    int sb = rank(b);
    if (sa != sb) {
      return sa < sb;
    }
    boolean ka = a.startsWith("kernel/");
    if (ka != b.startsWith("kernel/")) {
      return ka;
    }
    return a.compareTo(b) < 0;
  }

  /** The last override line naming this path's directory and module ("extra/foo" of "extra/foo.ko.xz"), or -1. */
  private int override(String relativePath) {
    int slash = relativePath.lastIndexOf('/');
    int dot = relativePath.indexOf('.', slash + 1);
    String stem = dot < 0 ? relativePath : relativePath.substring(0, dot);
    return overrides.lastIndexOf(stem);
  }

  private int rank(String relativePath) {
    int builtin = Integer.MAX_VALUE;
    for (int i = 0; i < search.size(); i++) {
      String s = search.get(i);
      if (s.equals(BUILT_IN)) {
        builtin = Math.min(builtin, i);
      } else if (!s.equals(EXTERNAL) && relativePath.startsWith(s + "/")) {
        return i;
      }
    }
    return builtin;
  }
}
