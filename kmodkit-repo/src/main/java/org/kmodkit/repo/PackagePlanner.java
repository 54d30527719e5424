package org.kmodkit.repo;

import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.formats.Scriptlets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.InputFiles;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.core.elf.SymbolVersion;
import org.kmodkit.core.tree.ModuleFiles;
import org.kmodkit.core.tree.Sysroot;

/**
 * Decides the packages for a tree of rebuilt modules ({@code <dir>/<release>/extra/<driver>/*.ko},
 * what {@code kmodkit rebuild} writes): pure, it only reads the modules.
 *
 * <p>RPM, per kernel (default): {@code kmod-<name>-<release>}, the modules under that kernel's
 * {@code /lib/modules/<release>/}, {@code Requires: kernel(sym) = 0x…} for every symbol the
 * modules take from outside the package (the CRC each was built against: what the node's kernel
 * must provide, as RHEL's kernel packages do), {@code Provides: kmod(x.ko)} and
 * {@code kernel(sym) = 0x…} for what they export. KMP ({@code kmp}): one {@code kmod-<name>} built
 * for one kernel, reaching the others through weak-updates. Debian: {@code <name>-modules-<release>}
 * depending on {@code linux-image-<release>}. And {@code <name>-kernel-only}, which requires just
 * the kernel-module packages (as MLNX's mlnx-en-kernel-only): what nodes install.
 * Scriptlets run depmod for the package's kernel and hand the module list to
 * {@code weak-modules --add-modules} / {@code --remove-modules} (kmodkit's drop-in, or RHEL's).
 */
public final class PackagePlanner {
  /** What the user asked for. VERSION may be {@code V-R} (split at its only '-'); RELEASE may then be null. */
  public record Request(String name, String version, String release, boolean kmp, String buildKernel, String vendor, long buildTime) {
    public Request {
      if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._+-]*")) {
        throw new IllegalArgumentException("--name '" + name + "': use letters, digits and . _ + -");
      }
    }
  }

  /** One rebuilt module: its file, its path under the tree (release first) and what it declares. */
  public record Module(Path file, String relative, String release, ModuleFile info) {}

  private final Request request;
  private final String version;
  private final String release;
  private final Map<String, List<Module>> byRelease;
  private final String arch;

  private PackagePlanner(Request request, String version, String release, Map<String, List<Module>> byRelease, String arch) {
    this.request = request;
    this.version = version;
    this.release = release;
    this.byRelease = byRelease;
    this.arch = arch;
  }

  /** Reads the tree DIR: every module under {@code DIR/<release>/}; other entries (logs, reports) are ignored. */
  public static PackagePlanner scan(Request request, Path dir) throws BadInputException {
    String[] vr = versionRelease(request.version(), request.release());
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir.toString(), "not a directory; give the --out directory of `kmodkit rebuild` (<dir>/<release>/extra/<driver>/*.ko)");
    }
    Map<String, List<Module>> byRelease = new TreeMap<>(PackagePlanner::compareReleases);
    List<Path> releases;
    try (Stream<Path> s = Files.list(dir)) {
      releases = s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    } catch (IOException e) {
      throw InputFiles.cannotRead(dir.toString(), e);
    }
    Set<String> archs = new LinkedHashSet<>();
    for (Path r : releases) {
      String rel = r.getFileName().toString();
      if (!Character.isDigit(rel.charAt(0))) {
        continue;
      }
      List<Module> mods = new ArrayList<>();
      for (Path f : ModuleFiles.find(r)) {
        ModuleFile info = ModuleReader.read(f);
        archs.add(rpmArch(f, info));
        mods.add(new Module(f, dir.relativize(f).toString().replace('\\', '/'), rel, info));
      }
      if (!mods.isEmpty()) {
        mods.sort(Comparator.comparing(Module::relative));
        byRelease.put(rel, mods);
      }
    }
    if (byRelease.isEmpty()) {
      throw new BadInputException(dir.toString(), "holds no <release>/…/*.ko; give the --out directory of `kmodkit rebuild`");
    }
    if (archs.size() != 1) {
      throw new BadInputException(dir.toString(), "holds modules of several architectures (" + String.join(", ", archs) + "); package each architecture apart");
    }
    if (request.kmp() && request.buildKernel() != null && !byRelease.containsKey(request.buildKernel())) {
      throw new BadInputException("--build-kernel " + request.buildKernel(), "no modules for that release in " + dir + " (there: " + String.join(", ", byRelease.keySet()) + ")");
    }
    return new PackagePlanner(request, vr[0], vr[1], byRelease, archs.iterator().next());
  }

  /** Splits {@code V-R}; rpm refuses a Version holding '-', so more than one '-' is refused here, named. */
  static String[] versionRelease(String v, String r) throws BadInputException {
    if (v == null || v.isBlank()) {
      throw new BadInputException("--version", "missing");
    }
    int dash = v.indexOf('-');
    if (dash >= 0) {
      if (r != null) {
        throw new BadInputException("--version " + v, "holds a '-' and --release is given too; rpm refuses a Version with '-': give --version " + v.substring(0, dash).replace('-', '.') + " --release " + r);
      }
      if (v.indexOf('-', dash + 1) >= 0 || dash == 0 || dash == v.length() - 1) {
        throw new BadInputException("--version " + v, "rpm refuses a Version with '-', and this cannot be split into VERSION-RELEASE at one '-'; give --version X --release Y (e.g. --version " + v.substring(0, Math.max(dash, 1)) + " --release " + v.substring(dash + 1).replace('-', '.') + ")");
      }
      r = v.substring(dash + 1);
      v = v.substring(0, dash);
    }
    r = r == null ? "1" : r;
    for (String[] pair : new String[][] {{"--version", v}, {"--release", r}}) {
      if (!pair[1].matches("[A-Za-z0-9._+~^]+")) {
        throw new BadInputException(pair[0] + " " + pair[1], "use letters, digits and . _ + ~ ^ only (rpm and dpkg both accept those)");
      }
      if (!Character.isDigit(pair[1].charAt(0)) && pair[0].equals("--version")) {
        throw new BadInputException(pair[0] + " " + pair[1], "must start with a digit (dpkg refuses other versions)");
      }
    }
    return new String[] {v, r};
  }

  public Map<String, List<Module>> modules() {
    return byRelease;
  }

  public String arch() {
    return arch;
  }

  public String version() {
    return version;
  }

  public String release() {
    return release;
  }

  /** The kernel a KMP is built for: the one asked for, else the oldest. */
  public String buildKernel() {
    return request.buildKernel() != null ? request.buildKernel() : byRelease.keySet().iterator().next();
  }

  /** The RPM packages: per-kernel kmods (or one KMP) and the kernel-only metadata package. */
  public List<PackageSpec> rpm() throws BadInputException {
    List<PackageSpec> out = new ArrayList<>();
    List<Relation> kernelOnly = new ArrayList<>();
    Set<String> moduleNames = new LinkedHashSet<>();
    for (Map.Entry<String, List<Module>> e : kernels().entrySet()) {
      String pkg = request.kmp() ? "kmod-" + request.name() : "kmod-" + request.name() + "-" + e.getKey();
      List<Relation> provides = new ArrayList<>();
      for (Module m : e.getValue()) {
        String ko = koName(m);
        provides.add(Relation.any("kmod(" + ko + ")"));
        moduleNames.add(ko);
      }
      provides.addAll(exportProvides(e.getValue()));
      String sh = moduleList(e.getValue());
      Scriptlets s = new Scriptlets(null, postInstall(sh, e.getKey()), null,
          "if [ \"$1\" = 0 ]; then\n" + indent(postRemove(sh, e.getKey())) + "fi\n");
      out.add(spec(pkg, arch, "Kernel modules of " + request.name() + " for Linux " + e.getKey(),
          "The " + request.name() + " " + version + " kernel modules rebuilt for " + e.getKey()
              + (request.kmp() ? " (a kernel module package: other kernels with the same ABI use it through weak-updates)." : "."),
          files(e.getValue()), kernelRequires(e.getValue()), provides, s));
      if (request.kmp()) {
        kernelOnly.add(new Relation(pkg, Relation.Op.EQ, version + "-" + release));
      }
    }
    if (!request.kmp()) {
      moduleNames.forEach(ko -> kernelOnly.add(Relation.any("kmod(" + ko + ")")));
    }
    out.add(spec(request.name() + "-kernel-only", arch, "The " + request.name() + " kernel modules, and nothing else",
        "Installs just the kernel-module packages of " + request.name() + " " + version + "; the package manager picks the build whose kernel ABI the node provides.",
        List.of(), kernelOnly, List.of(), Scriptlets.NONE));
    return out;
  }

  /** The Debian packages: per-kernel module packages (or one for the build kernel with --kmp) and the kernel-only one. */
  public List<PackageSpec> deb() throws BadInputException {
    List<PackageSpec> out = new ArrayList<>();
    List<String> alternatives = new ArrayList<>();
    String base = request.name().toLowerCase(Locale.ROOT);
    for (Map.Entry<String, List<Module>> e : kernels().entrySet()) {
      String pkg = request.kmp() ? base + "-modules" : base + "-modules-" + e.getKey();
      String sh = moduleList(e.getValue());
      Scriptlets s = new Scriptlets(null, "if [ \"$1\" = configure ]; then\n" + indent(postInstall(sh, e.getKey())) + "fi\n", null,
          "if [ \"$1\" = remove ] || [ \"$1\" = purge ]; then\n" + indent(postRemove(sh, e.getKey())) + "fi\n");
      List<Relation> depends = request.kmp() ? List.of() : List.of(Relation.any("linux-image-" + e.getKey()));
      out.add(spec(pkg, arch, "Kernel modules of " + request.name() + " for Linux " + e.getKey(),
          "The " + request.name() + " " + version + " kernel modules rebuilt for " + e.getKey() + ".",
          files(e.getValue()), depends, List.of(), s));
      alternatives.add(pkg);
    }
    List<Relation> depends = List.of(Relation.any(String.join("|", alternatives)));
    out.add(spec(base + "-kernel-only", arch, "The " + request.name() + " kernel modules, and nothing else",
        "Installs just the kernel-module package of " + request.name() + " " + version + " for one of the kernels it was built for.",
        List.of(), depends, List.of(), Scriptlets.NONE));
    return out;
  }

  private Map<String, List<Module>> kernels() {
    if (!request.kmp()) {
      return byRelease;
    }
    Map<String, List<Module>> one = new LinkedHashMap<>();
    one.put(buildKernel(), byRelease.get(buildKernel()));
    return one;
  }

  private PackageSpec spec(String name, String arch, String summary, String description, List<PayloadFile> files, List<Relation> requires, List<Relation> provides, Scriptlets scripts) throws BadInputException {
    try {
      return new PackageSpec(name, version, release, arch, summary, description, "GPL-2.0-only", request.vendor(), "", request.buildTime(), files, requires, provides, List.of(), scripts);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(name, e.getMessage());
    }
  }

  private static List<PayloadFile> files(List<Module> mods) {
    return mods.stream().map(m -> new PayloadFile(Sysroot.modulesPath(m.relative()), 0644, m.file())).toList();
  }

  /** Symbols the set takes from outside itself, at the CRC each module was built against. */
  static List<Relation> kernelRequires(List<Module> mods) throws BadInputException {
    Set<String> own = new LinkedHashSet<>();
    mods.forEach(m -> m.info().exports().forEach(x -> own.add(x.name())));
    Map<String, SymbolVersion> need = new TreeMap<>();
    for (Module m : mods) {
      for (SymbolVersion v : m.info().versions()) {
        if (own.contains(v.name())) {
          continue;
        }
        SymbolVersion before = need.putIfAbsent(v.name(), v);
        if (before != null && !before.crc().equals(v.crc())) {
          throw new BadInputException(m.file().toString(), "was built against " + v.name() + " " + v.crc() + " but a module beside it against " + before.crc() + "; rebuild both against one kernel");
        }
      }
    }
    return need.values().stream().map(v -> Relation.eq("kernel(" + v.name() + ")", v.crc().toString())).toList();
  }

  private static List<Relation> exportProvides(List<Module> mods) {
    Map<String, KernelSymbol> out = new TreeMap<>();
    mods.forEach(m -> m.info().exports().forEach(x -> out.putIfAbsent(x.name(), x)));
    return out.values().stream()
        .map(x -> x.crc() == null ? Relation.any("kernel(" + x.name() + ")") : Relation.eq("kernel(" + x.name() + ")", x.crc().toString()))
        .toList();
  }

  private static String koName(Module m) {
    String f = m.file().getFileName().toString();
    int ko = f.indexOf(".ko");
    return f.substring(0, ko) + ".ko";
  }

  /** The module list as a shell variable: the scriptlets hand it to weak-modules on stdin, as RHEL's kmods do. */
  private static String moduleList(List<Module> mods) {
    StringBuilder sb = new StringBuilder("modules='");
    for (int i = 0; i < mods.size(); i++) {
      sb.append(i == 0 ? "" : "\n").append(Sysroot.modulesPath(mods.get(i).relative()));
    }
    return sb.append("'\n").toString();
  }

  private static String postInstall(String modules, String kernel) {
    return modules
        + "if [ -n \"$(command -v depmod)\" ]; then depmod -a " + kernel + " || :; fi\n"
        + weakModules() + "if [ -n \"$wm\" ]; then printf '%s\\n' \"$modules\" | \"$wm\" --add-modules || :; fi\n";
  }

  private static String postRemove(String modules, String kernel) {
    return modules
        + weakModules() + "if [ -n \"$wm\" ]; then printf '%s\\n' \"$modules\" | \"$wm\" --remove-modules || :; fi\n"
        + "if [ -d /lib/modules/" + kernel + " ] && [ -n \"$(command -v depmod)\" ]; then depmod -a " + kernel + " || :; fi\n";
  }

  /** No /dev/null here: a fresh root (dnf --installroot, a container) may not have /dev yet. */
  private static String weakModules() {
    return "wm=$(command -v weak-modules || :)\n"
        + "if [ -z \"$wm\" ] && [ -x /usr/sbin/weak-modules ]; then wm=/usr/sbin/weak-modules; fi\n";
  }

  private static String indent(String body) {
    return ("  " + body.replace("\n", "\n  ")).replaceAll("  $", "");
  }

  private static String rpmArch(Path f, ModuleFile info) throws BadInputException {
    return switch (info.arch().machine()) {
      case 62 -> "x86_64";
      case 183 -> "aarch64";
      case 3 -> "i686";
      case 21 -> info.arch().littleEndian() ? "ppc64le" : "ppc64";
      case 22 -> "s390x";
      default -> throw new BadInputException(f.toString(), "is for " + info.arch() + ", which kmodkit cannot name as a package architecture");
    };
  }

  /** Orders kernel releases as sort -V would (6.1.0-9 before 6.1.0-10). */
  static int compareReleases(String a, String b) {
    String[] x = a.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
    String[] y = b.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      boolean dx = Character.isDigit(x[i].charAt(0));
      boolean dy = Character.isDigit(y[i].charAt(0));
      int c = dx && dy ? new java.math.BigInteger(x[i]).compareTo(new java.math.BigInteger(y[i])) : x[i].compareTo(y[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }
}
