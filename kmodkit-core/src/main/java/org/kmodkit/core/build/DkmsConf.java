package org.kmodkit.core.build;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kmodkit.core.BadInputException;

/**
 * A DKMS source tree's {@code dkms.conf}, read without running it. DKMS sources the file with
 * bash; kmodkit accepts the subset real packages use (KEY="value", KEY[i]='value', comments,
 * references to earlier keys and to DKMS's per-kernel variables) and refuses anything else by
 * line, so a build never silently differs from what DKMS would do.
 *
 * @param file the dkms.conf path, for messages
 * @param packageName PACKAGE_NAME
 * @param packageVersion PACKAGE_VERSION
 * @param modules BUILT_MODULE_NAME[i] with its locations, by index
 * @param make MAKE[i] by index (MAKE alone is MAKE[0]); empty means DKMS's default make line
 * @param makeMatch MAKE_MATCH[i]: a regex on the kernel release choosing MAKE[i]
 * @param clean CLEAN, if given
 * @param exclusiveKernel BUILD_EXCLUSIVE_KERNEL (regex on the release)
 * @param exclusiveKernelMin BUILD_EXCLUSIVE_KERNEL_MIN (lowest release, inclusive)
 * @param exclusiveKernelMax BUILD_EXCLUSIVE_KERNEL_MAX (highest release, inclusive)
 * @param exclusiveArch BUILD_EXCLUSIVE_ARCH (regex on the machine, e.g. x86_64)
 * @param exclusiveConfig BUILD_EXCLUSIVE_CONFIG: options that must be set ({@code CONFIG_X}) or not
 *     ({@code !CONFIG_X})
 * @param preBuild PRE_BUILD: a script (with arguments) run in the build directory before MAKE
 * @param postBuild POST_BUILD: likewise after MAKE
 */
public record DkmsConf(
    String file,
    String packageName,
    String packageVersion,
    List<Module> modules,
    Map<Integer, Word> make,
    Map<Integer, String> makeMatch,
    Optional<Word> clean,
    Optional<String> exclusiveKernel,
    Optional<String> exclusiveKernelMin,
    Optional<String> exclusiveKernelMax,
    Optional<String> exclusiveArch,
    List<String> exclusiveConfig,
    Optional<Word> preBuild,
    Optional<Word> postBuild) {

  /**
   * One module the package builds.
   *
   * @param builtName BUILT_MODULE_NAME[i], without .ko
   * @param builtLocation BUILT_MODULE_LOCATION[i]: where it appears, relative to the build directory
   * @param destName DEST_MODULE_NAME[i] (defaults to builtName)
   * @param destLocation DEST_MODULE_LOCATION[i], under /lib/modules/&lt;release&gt;
   */
  public record Module(int index, Word builtName, Word builtLocation, Word destName, Word destLocation) {}

  public DkmsConf {
    modules = List.copyOf(modules);
    make = Map.copyOf(make);
    makeMatch = Map.copyOf(makeMatch);
    exclusiveConfig = List.copyOf(exclusiveConfig);
  }

  /** Keys that DKMS reads as arrays (KEY[i]=; a bare KEY= is index 0). */
  static final Set<String> ARRAY_KEYS = Set.of(
      "MAKE", "MAKE_MATCH", "BUILT_MODULE_NAME", "BUILT_MODULE_LOCATION", "DEST_MODULE_NAME", "DEST_MODULE_LOCATION",
      "STRIP", "MODULES_CONF", "MODULES_CONF_ALIAS_TYPE", "MODULES_CONF_OBSOLETES", "MODULES_CONF_OBSOLETE_ONLY", "BUILD_DEPENDS",
      "PATCH", "PATCH_MATCH");
  /** Scalar keys of dkms(8). */
  static final Set<String> SCALAR_KEYS = Set.of(
      "PACKAGE_NAME", "PACKAGE_VERSION", "CLEAN", "AUTOINSTALL", "NO_WEAK_MODULES", "REMAKE_INITRD", "OBSOLETE_BY",
      "BUILD_EXCLUSIVE_KERNEL", "BUILD_EXCLUSIVE_KERNEL_MIN", "BUILD_EXCLUSIVE_KERNEL_MAX", "BUILD_EXCLUSIVE_ARCH", "BUILD_EXCLUSIVE_CONFIG",
      "PRE_BUILD", "POST_BUILD", "POST_ADD", "POST_INSTALL", "POST_REMOVE", "PRE_INSTALL", "BUILD_DEPENDS_REBUILD", "UDEV_TRIGGER");
  /** Keys DKMS knows that would change the build in a way kmodkit does not do (yet): refused. */
  static final Map<String, String> UNSUPPORTED = Map.of(
      "PATCH", "apply the patches to the source tree first and drop PATCH[]",
      "PATCH_MATCH", "apply the patches to the source tree first and drop PATCH[]/PATCH_MATCH[]");

  private static final Pattern ASSIGNMENT = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)(?:\\[([0-9]{1,6})\\])?=(.*)", Pattern.DOTALL);
  private static final Pattern CONFIG_ITEM = Pattern.compile("!?CONFIG_[A-Za-z0-9_]+");

  /** Parses {@code text}, the contents of {@code file}. */
  public static DkmsConf parse(String file, String text) throws BadInputException {
    return new Parser(file).parse(text);
  }

  /** The make command line for {@code release}: MAKE[i] whose MAKE_MATCH[i] matches, else MAKE[0]. */
  public Optional<Word> makeFor(String release) {
    for (Map.Entry<Integer, String> e : new TreeMap<>(makeMatch).entrySet()) {
      if (DkmsRegex.find(e.getValue(), release)) {
        return Optional.ofNullable(make.get(e.getKey()));
      }
    }
    return Optional.ofNullable(make.get(0));
  }

  private static final class Parser {
    private final String file;
    private final Map<String, Map<Integer, Word>> values = new HashMap<>();
    private int line;

    Parser(String file) {
      this.file = file;
    }

    BadInputException error(String problem) {
      return new BadInputException(file + ":" + line, problem);
    }

    DkmsConf parse(String text) throws BadInputException {
      String[] lines = text.split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        line = i + 1;
        String l = lines[i];
        while (l.endsWith("\\") && i + 1 < lines.length) { // shell line continuation
          l = l.substring(0, l.length() - 1) + lines[++i];
        }
        l = l.strip();
        if (l.isEmpty() || l.startsWith("#")) {
          continue;
        }
        Matcher m = ASSIGNMENT.matcher(l);
        if (!m.matches()) {
          throw error("'" + abbreviate(l) + "' is not a KEY=\"value\" assignment; kmodkit reads dkms.conf without running it, so move shell logic into PRE_BUILD or the Makefile");
        }
        String key = m.group(1);
        Integer index = m.group(2) == null ? null : Integer.valueOf(m.group(2));
        checkKey(key, index);
        Word value = value(m.group(3));
        values.computeIfAbsent(key, k -> new TreeMap<>()).put(index == null ? 0 : index, value);
      }
      return build();
    }

    private void checkKey(String key, Integer index) throws BadInputException {
      if (UNSUPPORTED.containsKey(key)) {
        throw error(key + " is not supported by kmodkit rebuild: " + UNSUPPORTED.get(key));
      }
      boolean helper = !key.equals(key.toUpperCase(java.util.Locale.ROOT));
      if (helper) {
        return; // lower-case names are the file's own helper variables, as in the shell
      }
      if (!ARRAY_KEYS.contains(key) && !SCALAR_KEYS.contains(key)) {
        throw error("unknown key " + key + " (not a dkms.conf key of dkms(8)); fix its spelling, or use a lower-case name for a helper variable");
      }
      if (index != null && SCALAR_KEYS.contains(key)) {
        throw error(key + " takes no [index]; write " + key + "=\"…\"");
      }
    }

    /** The shell word at the start of {@code s}: quotes removed, $variables resolved or kept. */
    private Word value(String s) throws BadInputException {
      List<Word.Part> parts = new ArrayList<>();
      StringBuilder lit = new StringBuilder();
      int i = 0;
      int n = s.length();
      while (i < n && !Character.isWhitespace(s.charAt(i))) {
        char c = s.charAt(i);
        if (c == '\'') {
          int end = s.indexOf('\'', i + 1);
          if (end < 0) {
            throw error("unterminated ' quote");
          }
          lit.append(s, i + 1, end);
          i = end + 1;
        } else if (c == '"') {
          i++;
          while (true) {
            if (i >= n) {
              throw error("unterminated \" quote");
            }
            char d = s.charAt(i);
            if (d == '"') {
              i++;
              break;
            }
            if (d == '\\' && i + 1 < n && "\"\\$`".indexOf(s.charAt(i + 1)) >= 0) {
              lit.append(s.charAt(i + 1));
              i += 2;
            } else if (d == '$') {
              i = variable(s, i, lit, parts);
            } else if (d == '`') {
              throw error("command substitution (`…`) is not supported; compute the value in PRE_BUILD or the Makefile");
            } else {
              lit.append(d);
              i++;
            }
          }
        } else if (c == '\\' && i + 1 < n) {
          lit.append(s.charAt(i + 1));
          i += 2;
        } else if (c == '$') {
          i = variable(s, i, lit, parts);
        } else if (c == '`' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>') {
          throw error("'" + c + "' outside quotes is shell syntax kmodkit does not run; quote the value");
        } else {
          lit.append(c);
          i++;
        }
      }
      String rest = s.substring(i).strip();
      if (!rest.isEmpty() && !rest.startsWith("#")) {
        throw error("the value has more than one word ('" + abbreviate(rest) + "' follows); quote it");
      }
      flush(lit, parts);
      return new Word(parts);
    }

    /** Reads the reference at {@code s[i] == '$'}; returns the index after it. */
    private int variable(String s, int i, StringBuilder lit, List<Word.Part> parts) throws BadInputException {
      int n = s.length();
      if (i + 1 >= n) {
        lit.append('$');
        return i + 1;
      }
      char c = s.charAt(i + 1);
      String name;
      int end;
      if (c == '{') {
        int close = s.indexOf('}', i + 2);
        if (close < 0) {
          throw error("unterminated ${");
        }
        name = s.substring(i + 2, close);
        end = close + 1;
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
          throw error("${" + name + "} is not supported (only plain ${name}); compute it in PRE_BUILD or the Makefile");
        }
      } else if (c == '(') {
        throw error("command substitution ($(…)) is not supported; compute the value in PRE_BUILD or the Makefile");
      } else if (Character.isLetter(c) || c == '_') {
        end = i + 1;
        while (end < n && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_')) {
          end++;
        }
        name = s.substring(i + 1, end);
      } else {
        lit.append('$');
        return i + 1;
      }
      Map<Integer, Word> defined = values.get(name);
      if (defined != null && defined.containsKey(0)) {
        flush(lit, parts);
        parts.addAll(defined.get(0).parts()); // as bash: the value assigned above
      } else if (Word.RUNTIME.contains(name)) {
        flush(lit, parts);
        parts.add(new Word.Var(name));
      } else {
        throw error("$" + name + " is neither set above nor one of DKMS's variables " + new java.util.TreeSet<>(Word.RUNTIME) + "; define it before use");
      }
      return end;
    }

    private static void flush(StringBuilder lit, List<Word.Part> parts) {
      if (lit.length() > 0) {
        parts.add(new Word.Literal(lit.toString()));
        lit.setLength(0);
      }
    }

    private Optional<Word> scalar(String key) {
      Map<Integer, Word> v = values.get(key);
      return v == null ? Optional.empty() : Optional.ofNullable(v.get(0));
    }

    private String constant(String key, Word w) throws BadInputException {
      if (!w.isConstant()) {
        throw new BadInputException(file, key + "=\"" + w + "\" depends on the kernel; it must be a constant");
      }
      return w.constant();
    }

    private Optional<String> constantScalar(String key) throws BadInputException {
      Optional<Word> w = scalar(key);
      return w.isEmpty() ? Optional.empty() : Optional.of(constant(key, w.get()));
    }

    private Map<Integer, Word> array(String key) {
      return values.getOrDefault(key, Map.of());
    }

    private DkmsConf build() throws BadInputException {
      String name = constantScalar("PACKAGE_NAME").orElseThrow(() -> new BadInputException(file, "PACKAGE_NAME is missing; add PACKAGE_NAME=\"<driver name>\""));
      String version = constantScalar("PACKAGE_VERSION").orElseThrow(() -> new BadInputException(file, "PACKAGE_VERSION is missing; add PACKAGE_VERSION=\"<version>\""));
      if (name.isBlank() || name.contains("/") || version.isBlank() || version.contains("/")) {
        throw new BadInputException(file, "PACKAGE_NAME and PACKAGE_VERSION must be non-empty and hold no '/' (they name directories)");
      }
      Map<Integer, Word> built = array("BUILT_MODULE_NAME");
      if (built.isEmpty()) {
        throw new BadInputException(file, "BUILT_MODULE_NAME[0] is missing; name the module the build produces (without .ko)");
      }
      for (String k : List.of("BUILT_MODULE_LOCATION", "DEST_MODULE_NAME", "DEST_MODULE_LOCATION", "STRIP")) {
        for (Integer i : array(k).keySet()) {
          if (!built.containsKey(i)) {
            throw new BadInputException(file, k + "[" + i + "] has no BUILT_MODULE_NAME[" + i + "]; number the modules consistently");
          }
        }
      }
      List<Module> modules = new ArrayList<>();
      for (Map.Entry<Integer, Word> e : built.entrySet()) {
        int i = e.getKey();
        Word location = array("BUILT_MODULE_LOCATION").getOrDefault(i, Word.literal(""));
        modules.add(new Module(i, e.getValue(), location, array("DEST_MODULE_NAME").getOrDefault(i, e.getValue()), array("DEST_MODULE_LOCATION").getOrDefault(i, Word.literal("/updates/dkms"))));
      }
      Map<Integer, String> makeMatch = new HashMap<>();
      for (Map.Entry<Integer, Word> e : array("MAKE_MATCH").entrySet()) {
        if (!array("MAKE").containsKey(e.getKey())) {
          throw new BadInputException(file, "MAKE_MATCH[" + e.getKey() + "] has no MAKE[" + e.getKey() + "] to choose");
        }
        makeMatch.put(e.getKey(), regex("MAKE_MATCH[" + e.getKey() + "]", constant("MAKE_MATCH", e.getValue())));
      }
      Optional<String> exKernel = constantScalar("BUILD_EXCLUSIVE_KERNEL");
      if (exKernel.isPresent()) {
        regex("BUILD_EXCLUSIVE_KERNEL", exKernel.get());
      }
      Optional<String> exArch = constantScalar("BUILD_EXCLUSIVE_ARCH");
      if (exArch.isPresent()) {
        regex("BUILD_EXCLUSIVE_ARCH", exArch.get());
      }
      List<String> exConfig = new ArrayList<>();
      for (String item : constantScalar("BUILD_EXCLUSIVE_CONFIG").orElse("").trim().split("\\s+")) {
        if (item.isEmpty()) {
          continue;
        }
        if (!CONFIG_ITEM.matcher(item).matches()) {
          throw new BadInputException(file, "BUILD_EXCLUSIVE_CONFIG item '" + item + "' is not CONFIG_NAME or !CONFIG_NAME");
        }
        exConfig.add(item);
      }
      return new DkmsConf(file, name, version, modules, array("MAKE"), makeMatch, scalar("CLEAN"), exKernel,
          constantScalar("BUILD_EXCLUSIVE_KERNEL_MIN"), constantScalar("BUILD_EXCLUSIVE_KERNEL_MAX"), exArch, exConfig,
          scalar("PRE_BUILD"), scalar("POST_BUILD"));
    }

    private String regex(String key, String value) throws BadInputException {
      return DkmsRegex.validate(file, key, value);
    }

    private static String abbreviate(String s) {
      return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
  }
}
