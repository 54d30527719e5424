import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.kmodkit.testkit.KoBuilder;

/**
 * Writes the benchmark's 20 out-of-tree modules (5 vendor sets × 4 modules) built for one
 * installed kernel of a root: each module imports real vmlinux symbols with the CRCs of that
 * kernel's /boot/symvers-K.gz and its module_layout, so which other kernels accept it follows the
 * real corpus ABIs. In each set, {@code core} exports an API that {@code user} imports (one
 * dependency group), {@code tool1} and {@code tool2} stand alone. Symbols are picked from those
 * with one CRC in every kernel of the root; sets c–e also import one whose CRC differs between
 * some of them, so they do not travel as far.
 *
 *   java -cp kmodkit-testkit.jar bench/WeakBenchRoot.java ROOT RELEASE
 */
public final class WeakBenchRoot {
  public static void main(String[] args) throws IOException {
    Path root = Path.of(args[0]);
    String release = args[1];
    Map<String, Long> crcs = symvers(root.resolve("boot/symvers-" + release + ".gz"));
    // over every kernel of the root: symbols with one CRC everywhere, and ones whose CRC changed
    Map<String, java.util.Set<Long>> seen = new java.util.TreeMap<>();
    int kernels = 0;
    try (var ds = Files.newDirectoryStream(root.resolve("boot"), "symvers-*.gz")) {
      for (Path p : ds) {
        kernels++;
        symvers(p).forEach((name, crc) -> seen.computeIfAbsent(name, x -> new java.util.HashSet<>()).add(crc));
      }
    }
    List<String> stable = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    for (var e : seen.entrySet()) {
      if (!crcs.containsKey(e.getKey()) || e.getKey().equals("module_layout")) {
        continue;
      }
      (e.getValue().size() == 1 ? stable : changed).add(e.getKey());
    }
    // spread over the alphabet, deterministic
    List<String> picked = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      picked.add(stable.get((int) ((long) i * stable.size() / 12)));
    }
    stable = picked;
    // the one that changed most often, so sets c–e stay within fewer kernels
    String changing = changed.stream().max(java.util.Comparator.comparingInt((String x) -> seen.get(x).size()).thenComparing(java.util.Comparator.reverseOrder())).orElse(stable.get(0));
    Path extra = root.resolve("lib/modules/" + release + "/extra");
    for (char set = 'a'; set <= 'e'; set++) {
      String v = "vendor_" + set;
      Path dir = Files.createDirectories(extra.resolve(v));
      boolean travelsLess = set >= 'c';
      KoBuilder core = mod(v + "_core", release, crcs).exportsGpl(v + "_api", 0x1000L + set);
      uses(core, stable.subList(0, 6), crcs);
      if (travelsLess) {
        core.uses(changing, crcs.get(changing));
      }
      KoBuilder user = mod(v + "_user", release, crcs).depends(v + "_core").uses(v + "_api", 0x1000L + set);
      uses(user, stable.subList(2, 6), crcs);
      KoBuilder tool1 = mod(v + "_tool1", release, crcs);
      uses(tool1, stable.subList(4, 9), crcs);
      KoBuilder tool2 = mod(v + "_tool2", release, crcs);
      uses(tool2, stable.subList(6, 11), crcs);
      if (travelsLess) {
        tool2.uses(changing, crcs.get(changing));
      }
      for (KoBuilder b : List.of(core, user, tool1, tool2)) {
        b.writeTo(dir);
      }
    }
  }

  static KoBuilder mod(String name, String release, Map<String, Long> crcs) {
    return KoBuilder.module(name).vermagic(release + " SMP preempt mod_unload modversions ").version("module_layout", crcs.get("module_layout"));
  }

  static void uses(KoBuilder b, List<String> symbols, Map<String, Long> crcs) {
    for (String s : symbols) {
      b.uses(s, crcs.get(s));
    }
  }

  static Map<String, Long> symvers(Path gz) throws IOException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      for (String line : new String(in.readAllBytes()).split("\n")) {
        String[] f = line.split("\t");
        if (f.length >= 3 && f[2].equals("vmlinux")) {
          out.put(f[1], Long.decode(f[0]));
        }
      }
    }
    return out;
  }
}
