package org.kmodkit.core.build;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.kmodkit.core.BadInputException;

/**
 * A DKMS source tree's {@code dkms.conf} as DKMS reads it for one kernel: sourced by bash (through
 * {@link DkmsShell}, confined) with DKMS's variables set, the values read back and checked as DKMS
 * 3.0.10's read_conf checks them. Every value is already expanded, so the words are literal.
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
 * @param exclusiveConfig BUILD_EXCLUSIVE_CONFIG (Debian's dkms): options that must be set
 *     ({@code CONFIG_X}) or not ({@code !CONFIG_X}); an item of another form matches no .config line
 * @param preBuild PRE_BUILD: a script (with arguments) run in the build directory before MAKE
 * @param postBuild POST_BUILD: likewise after MAKE
 * @param patches PATCH[i] whose PATCH_MATCH[i] (if any) matches the kernel: files in patches/,
 *     applied with {@code patch -p1} before PRE_BUILD
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
    Optional<Word> postBuild,
    List<String> patches) {

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
    patches = List.copyOf(patches);
  }

  /**
   * Sources {@code file} (in {@code dir}) with bash as DKMS does for one kernel, {@code vars} being
   * DKMS's variables ({@link DkmsShell#INPUTS}), and reads back what DKMS would.
   */
  public static DkmsConf evaluate(DkmsShell shell, Path file, Path dir, Map<String, String> vars) throws BadInputException {
    DkmsShell.Values v = shell.evaluate(file, dir, vars);
    return of(file.toString(), v.triples(), vars, v.complaint());
  }

  /**
   * dkms.conf as read back from bash's {@code output} (NUL-separated name, index, value triples,
   * as {@link DkmsShell} has the script print them), for the kernel {@code vars} describe.
   */
  public static DkmsConf read(String file, byte[] output, Map<String, String> vars) throws BadInputException {
    return of(file, DkmsShell.triples(file, output), vars, "");
  }

  /**
   * The values a sourced dkms.conf left ({@code name, index, value}), checked as DKMS 3.0.10's
   * read_conf checks them: what it refuses is refused, with its words.
   */
  static DkmsConf of(String file, List<String[]> triples, Map<String, String> vars, String complaint) throws BadInputException {
    Map<String, TreeMap<Integer, String>> v = new HashMap<>();
    for (String[] t : triples) {
      v.computeIfAbsent(t[0], k -> new TreeMap<>()).put(Integer.valueOf(t[1]), t[2]);
    }
    return new Reader(file, v, vars, complaint).build();
  }

  /**
   * The make command line for {@code release} as DKMS picks it: MAKE[0] unless MAKE_MATCH[0] is
   * set, then the last MAKE[i] (i below MAKE's element count) whose MAKE_MATCH[i] matches.
   */
  public Optional<Word> makeFor(String release) {
    Word chosen = makeMatch.containsKey(0) ? null : make.get(0);
    for (int i = 0; i < make.size(); i++) {
      if (make.containsKey(i) && !make.get(i).constant().isEmpty() && makeMatch.containsKey(i) && DkmsRegex.find(makeMatch.get(i), release)) {
        chosen = make.get(i);
      }
    }
    return Optional.ofNullable(chosen).filter(w -> !w.constant().isEmpty());
  }

  private record Reader(String file, Map<String, TreeMap<Integer, String>> values, Map<String, String> vars, String complaint) {
    private TreeMap<Integer, String> array(String key) {
      return values.getOrDefault(key, new TreeMap<>());
    }

    private String scalar(String key) {
      return array(key).getOrDefault(0, "");
    }

    private Optional<String> optional(String key) {
      return scalar(key).isEmpty() ? Optional.empty() : Optional.of(scalar(key));
    }

    private Optional<Word> word(String key) {
      return optional(key).map(Word::literal);
    }

    private BadInputException error(String problem) {
      return new BadInputException(file, "dkms.conf: Error! " + problem + (complaint.isEmpty() ? "" : " (bash said: " + complaint + ")"));
    }

    DkmsConf build() throws BadInputException {
      String name = scalar("PACKAGE_NAME");
      String version = scalar("PACKAGE_VERSION");
      if (name.isEmpty()) {
        throw error("No 'PACKAGE_NAME' directive specified (DKMS refuses it too); add PACKAGE_NAME=\"<driver name>\"");
      }
      if (version.isEmpty()) {
        throw error("No 'PACKAGE_VERSION' directive specified (DKMS refuses it too); add PACKAGE_VERSION=\"<version>\"");
      }
      if (name.contains("/") || version.contains("/") || name.startsWith(".") || version.startsWith(".")) {
        throw new BadInputException(file, "PACKAGE_NAME and PACKAGE_VERSION must hold no '/' nor start with '.' (they name directories)");
      }
      // DKMS walks the arrays up to the largest element count, not the largest index
      int size = 0;
      for (String k : List.of("BUILT_MODULE_NAME", "BUILT_MODULE_LOCATION", "DEST_MODULE_NAME", "DEST_MODULE_LOCATION")) {
        size = Math.max(size, array(k).size());
      }
      if (size == 0) {
        throw error("No 'DEST_MODULE_LOCATION' directive specified (DKMS refuses it too); add DEST_MODULE_LOCATION[0]=\"/updates/dkms\"");
      }
      List<Module> modules = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        String built = array("BUILT_MODULE_NAME").getOrDefault(i, "");
        if (built.isEmpty() && array("DEST_MODULE_LOCATION").size() == 1) {
          built = name; // Debian's dkms 3.0.10 (upstream takes $module, the same name once added)
        }
        if (built.isEmpty()) {
          throw error("No 'BUILT_MODULE_NAME' directive specified for record #" + i + " (DKMS refuses it too); name the module the build produces (without .ko)");
        }
        String dest = array("DEST_MODULE_NAME").getOrDefault(i, "");
        dest = dest.isEmpty() ? built : dest;
        if (built.endsWith(".o") || built.endsWith(".ko") || dest.endsWith(".o") || dest.endsWith(".ko")) {
          throw error("'BUILT_MODULE_NAME' or 'DEST_MODULE_NAME' directive ends in '.o' or '.ko' in record #" + i + " (DKMS refuses it too); drop the suffix");
        }
        String location = array("DEST_MODULE_LOCATION").getOrDefault(i, "");
        if (location.isEmpty()) {
          throw error("No 'DEST_MODULE_LOCATION' directive specified for record #" + i + " (DKMS refuses it too); add DEST_MODULE_LOCATION[" + i + "]=\"/updates/dkms\"");
        }
        if (!location.startsWith("/kernel") && !location.startsWith("/updates") && !location.startsWith("/extra")) {
          throw error("Directive 'DEST_MODULE_LOCATION' does not begin with '/kernel', '/updates', or '/extra' in record #" + i + " (DKMS refuses it too)");
        }
        modules.add(new Module(i, Word.literal(built), Word.literal(array("BUILT_MODULE_LOCATION").getOrDefault(i, "")), Word.literal(dest), Word.literal(location)));
      }
      Map<Integer, Word> make = new HashMap<>();
      array("MAKE").forEach((i, m) -> make.put(i, Word.literal(m)));
      Map<Integer, String> makeMatch = new HashMap<>();
      for (Map.Entry<Integer, String> e : array("MAKE_MATCH").entrySet()) {
        if (!e.getValue().isEmpty()) {
          makeMatch.put(e.getKey(), regex("MAKE_MATCH[" + e.getKey() + "]", e.getValue()));
        }
      }
      String release = vars.getOrDefault("kernelver", "");
      List<String> patches = new ArrayList<>();
      TreeMap<Integer, String> patch = array("PATCH");
      for (int i = 0; i < patch.size(); i++) { // as DKMS: indices below the element count
        String p = patch.getOrDefault(i, "");
        String match = array("PATCH_MATCH").getOrDefault(i, "");
        if (!p.isEmpty() && (match.isEmpty() || DkmsRegex.find(regex("PATCH_MATCH[" + i + "]", match), release))) {
          if (p.contains("/") || p.startsWith(".")) {
            throw new BadInputException(file, "PATCH[" + i + "]=\"" + p + "\" must name a file in the tree's patches/ directory");
          }
          patches.add(p);
        }
      }
      Optional<String> exKernel = optional("BUILD_EXCLUSIVE_KERNEL");
      if (exKernel.isPresent()) {
        regex("BUILD_EXCLUSIVE_KERNEL", exKernel.get());
      }
      Optional<String> exArch = optional("BUILD_EXCLUSIVE_ARCH");
      if (exArch.isPresent()) {
        regex("BUILD_EXCLUSIVE_ARCH", exArch.get());
      }
      List<String> exConfig = new ArrayList<>();
      for (String item : scalar("BUILD_EXCLUSIVE_CONFIG").trim().split("\\s+")) {
        if (item.isEmpty()) {
          continue;
        }
        exConfig.add(item); // DKMS greps .config for any item; one that is not CONFIG_NAME never matches
      }
      return new DkmsConf(file, name, version, modules, make, makeMatch, word("CLEAN"), exKernel,
          optional("BUILD_EXCLUSIVE_KERNEL_MIN"), optional("BUILD_EXCLUSIVE_KERNEL_MAX"), exArch, exConfig,
          word("PRE_BUILD"), word("POST_BUILD"), patches);
    }

    private String regex(String key, String value) throws BadInputException {
      return DkmsRegex.validate(file, key, value);
    }
  }
}
