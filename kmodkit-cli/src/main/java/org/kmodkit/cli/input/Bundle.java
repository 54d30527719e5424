package org.kmodkit.cli.input;

import org.kmodkit.formats.Extractor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.DriverSource;

/**
 * A driver bundle for {@code add-kernel-support}: a directory (or tarball of one) of driver
 * sources with a {@value #MANIFEST} naming it (docs/commands.md defines the format), one DKMS tree, which
 * names itself, or a vendor bundle as it ships, searched for its drivers and named after itself
 * (docs/bundles.md).
 *
 * @param name the bundle's name (the first part of the -ext directory)
 * @param version its version
 * @param distro the distribution it is for, when the manifest or the bundle's name says (else the host's)
 * @param arch the machine, when the manifest or the bundle's name says (else the kernels')
 * @param dir where the bundle lies (unpacked)
 * @param drivers the driver sources to rebuild: directories, *-dkms .debs, source RPMs
 * @param manifest the manifest's text (empty without one)
 * @param search what the search of a bundle without manifest found and skipped ({@link BundleSearch.Result#NONE} otherwise)
 */
public record Bundle(String name, String version, Optional<String> distro, Optional<String> arch, Path dir, List<Path> drivers, String manifest, BundleSearch.Result search) {
  public static final String MANIFEST = "kmodkit-bundle.conf";
  private static final Set<String> KEYS = Set.of("name", "version", "distro", "arch", "drivers", "kernels");
  private static final Pattern WORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]*");
  /** A bundle's own name as vendors give it: MLNX_OFED_LINUX-5.8-1.0.1.1-rhel9.4-x86_64, acme-nic-5.2. */
  private static final Pattern NAMED = Pattern.compile("(?<name>[A-Za-z0-9][A-Za-z0-9._+~]*(?:-[A-Za-z._+~][A-Za-z0-9._+~]*)*)-(?<version>\\d[A-Za-z0-9._+~-]*?)"
      + "(?:-(?<distro>[a-z]+\\d[a-z0-9.]*)-(?<arch>x86_64|aarch64|ppc64le|s390x|amd64|arm64))?");

  public Bundle {
    drivers = List.copyOf(drivers);
  }

  /** The bundle {@code arg} names: a directory, or a tarball unpacked under {@code work}. */
  public static Bundle open(String arg, Path work) throws BadInputException {
    return open(arg, work, BundleSearch.Bounds.STANDARD);
  }

  /** As {@link #open(String, Path)}, a bundle without manifest searched within {@code bounds}. */
  public static Bundle open(String arg, Path work, BundleSearch.Bounds bounds) throws BadInputException {
    Path p = Path.of(arg);
    Path dir;
    String label;
    String shown; // how the search names what lies inside
    if (Files.isDirectory(p)) {
      dir = p.toAbsolutePath().normalize();
      label = dir.getFileName() == null ? "" : dir.getFileName().toString();
      shown = arg.replaceFirst("/*$", "/");
    } else if (Files.isRegularFile(p) && Extractor.isTarball(p)) {
      Path dest = work.resolve("bundle");
      Extractor.untar(p, dest, bounds.expansion());
      List<Path> top = DriverInputs.list(dest, e -> true);
      boolean oneDir = top.size() == 1 && Files.isDirectory(top.get(0), java.nio.file.LinkOption.NOFOLLOW_LINKS);
      dir = Files.isRegularFile(dest.resolve(MANIFEST)) || DriverInputs.isSourceTree(dest) || !oneDir ? dest : top.get(0);
      label = dir == dest ? BundleSearch.unsuffixed(p.getFileName().toString()) : dir.getFileName().toString();
      shown = arg + "!/" + (dir == dest ? "" : label + "/");
    } else {
      throw new BadInputException(arg, "is neither a directory nor a tarball; pass the driver bundle (a directory with " + MANIFEST + ", a DKMS tree, a vendor bundle, or a .tgz of one)");
    }
    Path manifest = dir.resolve(MANIFEST);
    if (Files.isRegularFile(manifest)) {
      return fromManifest(dir, manifest);
    }
    Path conf = dir.resolve("dkms.conf");
    if (Files.isRegularFile(conf)) {
      DriverSource d = DriverSource.of(dir, arg); // dkms.conf sourced as DKMS does
      return new Bundle(d.name(), d.version(), Optional.empty(), Optional.empty(), dir, List.of(dir), "", BundleSearch.Result.NONE);
    }
    BundleSearch.Result r = BundleSearch.search(dir, work.resolve("search"), bounds, shown);
    if (r.found().isEmpty()) {
      throw new BadInputException(arg, "has no " + MANIFEST + ", is no DKMS tree and holds no driver source (no DKMS tree, *-dkms .deb, kernel-module .src.rpm or tarball of one; "
          + BundleSearch.count(r.skipped().size(), "thing") + " skipped, see docs/bundles.md); add a manifest naming its drivers (docs/commands.md)");
    }
    java.util.regex.Matcher m = NAMED.matcher(label);
    if (!m.matches()) {
      throw new BadInputException(arg, "has no " + MANIFEST + " and its name '" + label.replaceAll("\\p{Cntrl}", "?")
          + "' is not NAME-VERSION[-DISTRO-ARCH] (as MLNX_OFED_LINUX-5.8-1.0.1.1-rhel9.4-x86_64): rename it, or add a manifest with name= and version=");
    }
    return new Bundle(m.group("name"), m.group("version"), Optional.ofNullable(m.group("distro")), Optional.ofNullable(m.group("arch")), dir,
        r.found().stream().map(BundleSearch.Found::path).toList(), "", r);
  }

  /**
   * The name the bundle's packages carry ({@code <it>-kernel-only}, …): its name as Debian allows
   * package names, which RPM takes too — lower case, '_' and '~' as '-' (MLNX_OFED_LINUX → mlnx-ofed-linux).
   */
  public String packageName() {
    return name.toLowerCase(java.util.Locale.ROOT).replace('_', '-').replace('~', '-');
  }

  /** The -ext directory's name, as mlnx_add_kernel_support.sh names its output. */
  public String extName(String distro, String arch) {
    return name + "-" + version + "-" + distro + "-" + arch + "-ext";
  }

  /** The manifest to write beside the rebuilt modules: this one, its kernels= line replaced. */
  public String manifestFor(List<String> releases) {
    StringBuilder sb = new StringBuilder();
    String base = manifest.isEmpty() ? "name=" + name + "\nversion=" + version + "\n" : manifest;
    for (String line : base.split("\n")) {
      if (!line.strip().startsWith("kernels=")) {
        sb.append(line).append('\n');
      }
    }
    sb.append("# added by kmodkit add-kernel-support: the kernels this directory holds modules for\n");
    sb.append("kernels=").append(String.join(" ", releases)).append('\n');
    return sb.toString();
  }

  /**
   * The distribution as MLNX names bundles (debian12, rhel9.4): os-release's ID and VERSION_ID
   * under {@code root}; "linux" when there is none.
   */
  public static String distro(org.kmodkit.core.tree.Sysroot root) throws BadInputException {
    Path f = root.path("/etc/os-release");
    if (!Files.isRegularFile(f)) {
      return "linux";
    }
    Map<String, String> v = new LinkedHashMap<>();
    for (String line : read(f).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        v.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", "").strip());
      }
    }
    String id = v.getOrDefault("ID", "linux").replaceAll("[^A-Za-z0-9._+~-]", "");
    String ver = v.getOrDefault("VERSION_ID", "").replaceAll("[^A-Za-z0-9._+~-]", "");
    return id.isEmpty() ? "linux" : id + ver;
  }

  static Bundle fromManifest(Path dir, Path manifest) throws BadInputException {
    String text = read(manifest);
    Map<String, String> values = new LinkedHashMap<>();
    int n = 0;
    for (String raw : text.split("\n", -1)) {
      n++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new BadInputException(manifest + ":" + n, "'" + line + "' is not key=value; the keys are " + KEYS);
      }
      String key = line.substring(0, eq).strip();
      String value = line.substring(eq + 1).replaceFirst("\\s+#.*$", "").strip(); // "key=value  # comment"
      if (!KEYS.contains(key)) {
        throw new BadInputException(manifest + ":" + n, "unknown key '" + key + "'; the keys are name, version, distro, arch, drivers, kernels (docs/commands.md)");
      }
      if (values.put(key, value) != null) {
        throw new BadInputException(manifest + ":" + n, key + " is given twice; keep one");
      }
      if (!key.equals("drivers") && !WORD.matcher(value).matches()) {
        throw new BadInputException(manifest + ":" + n, key + "='" + value + "' must be one word of letters, digits and . _ + ~ - (it names a directory)");
      }
    }
    for (String required : List.of("name", "version")) {
      if (!values.containsKey(required)) {
        throw new BadInputException(manifest.toString(), required + " is missing; add " + required + "=…");
      }
    }
    List<Path> drivers = new ArrayList<>();
    if (values.containsKey("drivers")) {
      for (String d : values.get("drivers").split("\\s+")) {
        if (d.isEmpty()) {
          continue;
        }
        Path rel = Path.of(d);
        Path abs = dir.resolve(d).normalize();
        if (rel.isAbsolute() || !abs.startsWith(dir) || d.contains("..")) {
          throw new BadInputException(manifest.toString(), "drivers entry '" + d + "' leaves the bundle; name directories inside it, relative to it");
        }
        if (!Files.isDirectory(abs)) {
          throw new BadInputException(manifest.toString(), "drivers entry '" + d + "' is not a directory of the bundle");
        }
        drivers.add(abs);
      }
    } else {
      DriverInputs.list(dir, Files::isDirectory).stream().filter(DriverInputs::isSourceTree).forEach(drivers::add);
    }
    if (drivers.isEmpty()) {
      throw new BadInputException(manifest.toString(), "names no driver and the bundle has no directory with dkms.conf, Kbuild or Makefile; add drivers=DIR…");
    }
    return new Bundle(values.get("name"), values.get("version"), Optional.ofNullable(values.get("distro")), Optional.ofNullable(values.get("arch")), dir, drivers, text, BundleSearch.Result.NONE);
  }

  private static String read(Path f) throws BadInputException {
    try {
      return Files.readString(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BadInputException(f.toString(), "cannot read (" + e.getMessage() + ")");
    }
  }
}
