package org.kmodkit.cli.input;

import org.kmodkit.formats.Extractor;
import org.kmodkit.formats.PackageReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.formats.rpm.RpmHeaders;

/**
 * The driver sources of a vendor bundle that comes without a manifest, found wherever they lie
 * (docs/bundles.md): DKMS trees, *-dkms .debs, kernel-module source RPMs and tarballs of a DKMS or
 * Kbuild tree, also inside the bundle's tarballs; everything else is named as skipped, with why.
 * The bundle is an attacker: links are never followed, the walk is bounded in depth and entries,
 * tarballs are unpacked by the confined {@link Extractor} within an expansion limit and only
 * {@link Bounds#archives} deep, and hostile content refuses the whole bundle.
 */
public final class BundleSearch {
  /**
   * How far a search goes.
   *
   * @param depth directories below the bundle's top (archives count as one)
   * @param entries files and directories looked at, outside DKMS trees and packages
   * @param archives tarballs within tarballs opened (the bundle's own tarball not counted)
   * @param expansion how far one tarball may decompress
   */
  public record Bounds(int depth, int entries, int archives, ExpansionLimit expansion) {
    /** MLNX_OFED's deepest source lies 4 directories and 1 tarball in, among ~1,000 entries. */
    public static final Bounds STANDARD = new Bounds(12, 20_000, 2, ExpansionLimit.ARCHIVE);
  }

  /** The forms a driver's source comes in, in the order one is preferred over another of the same driver. */
  public enum Kind {
    DKMS_TREE("DKMS tree"),
    DKMS_DEB("*-dkms .deb"),
    TARBALL("tarball of a driver tree"),
    SRPM("kernel-module source RPM");

    private final String words;

    Kind(String words) {
      this.words = words;
    }

    @Override
    public String toString() {
      return words;
    }
  }

  /**
   * A driver source found.
   *
   * @param path what rebuild takes: a directory, a .deb or a .src.rpm (tarballs are unpacked already)
   * @param where where it lies in the bundle ("src/x.tgz!/x/DEBS/y.deb" inside a tarball)
   * @param driver the driver's name, as compared to find the same driver twice
   * @param archives how many tarballs deep it lies
   */
  public record Found(Path path, String where, Kind kind, String driver, int archives) {}

  /** Something not taken, and why, in one line. */
  public record Skipped(String where, String why) {}

  /** What a search found (one per driver) and what it skipped. */
  public record Result(List<Found> found, List<Skipped> skipped) {
    public static final Result NONE = new Result(List.of(), List.of());

    public Result {
      found = List.copyOf(found);
      skipped = List.copyOf(skipped);
    }
  }

  private static final Pattern DKMS_CONF = Pattern.compile("/usr/src/([^/]+)/dkms\\.conf");
  /** The conventions rebuild passes the kernel in (BuildPlanner): MLNX's KVERSION/K_SRC, kmodtool's kernels. */
  private static final Pattern KERNEL_SPEC = Pattern.compile("KVERSION|K_SRC|kmodtool|kernel_module_package|%\\{\\??kernels");
  private static final Pattern VERSIONED = Pattern.compile("(.+?)[-_]\\d.*");
  private static final int SPEC_BYTES = 1 << 20;

  private final Path work;
  private final Bounds bounds;
  private final String bundle;
  private int entries;
  private int unpacked;
  /** What the bundle's tarballs may still unpack: one expansion limit for all of them together, not each. */
  private long left;

  private BundleSearch(Path work, Bounds bounds, String bundle) {
    this.work = work;
    this.bounds = bounds;
    this.bundle = bundle;
    this.left = bounds.expansion().bytes();
  }

  /**
   * Searches {@code dir}, the bundle, shown in errors as {@code bundle} ("b/", or "b.tgz!/b/" for
   * a tarball); nested tarballs are unpacked under {@code work}.
   */
  public static Result search(Path dir, Path work, Bounds bounds, String bundle) throws BadInputException {
    Part all = new BundleSearch(work, bounds, bundle).dir(dir, "", 0, 0);
    Map<String, List<Found>> byDriver = new LinkedHashMap<>();
    all.found.forEach(f -> byDriver.computeIfAbsent(f.driver(), k -> new ArrayList<>()).add(f));
    List<Found> picked = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>(all.skipped);
    for (List<Found> same : byDriver.values()) {
      same.sort(Comparator.comparing(Found::kind).thenComparingInt(Found::archives).thenComparing(Found::where));
      Found first = same.get(0);
      picked.add(first);
      for (Found other : same.subList(1, same.size())) {
        skipped.add(new Skipped(other.where(), "the same driver '" + first.driver() + "' as " + first.where() + " (" + first.kind()
            + "), which is preferred: a DKMS tree, then a *-dkms .deb, a tarball, a source RPM; then the fewest archives deep"));
      }
    }
    picked.sort(Comparator.comparing(Found::where));
    return new Result(picked, skipped);
  }

  /** What one directory, file or tarball gave; {@code plain} files that are none of the forms (documents, scripts, data). */
  private record Part(List<Found> found, List<Skipped> skipped, int plain, boolean onlyPlain) {
    static final Part PLAIN = new Part(List.of(), List.of(), 1, true);

    static Part skip(String where, String why) {
      return new Part(List.of(), List.of(new Skipped(where, why)), 0, false);
    }

    boolean nothingButPlain() {
      return found.isEmpty() && onlyPlain && plain > 0;
    }
  }

  private Part dir(Path d, String where, int depth, int archives) throws BadInputException {
    if (Files.isRegularFile(d.resolve("dkms.conf"), LinkOption.NOFOLLOW_LINKS)) {
      return found(d, where.isEmpty() ? "./" : where, Kind.DKMS_TREE, d.getFileName().toString(), archives);
    }
    if (depth > bounds.depth()) {
      return Part.skip(where, "lies deeper than " + bounds.depth() + " directories: not searched (name its drivers in kmodkit-bundle.conf)");
    }
    List<Found> found = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    int plainHere = 0;
    int plainAll = 0;
    boolean onlyPlain = true;
    for (Path e : DriverInputs.list(d, p -> true)) {
      if (++entries > bounds.entries()) {
        throw new BadInputException(bundle.replaceFirst("/$", ""), "holds more than " + bounds.entries() + " files and directories outside its DKMS trees and packages: not searched to the end; name its drivers in kmodkit-bundle.conf (drivers=…)");
      }
      String name = e.getFileName().toString().replaceAll("\\p{Cntrl}", "?");
      String w = where + name;
      Part p;
      String label = w;
      if (Files.isSymbolicLink(e)) {
        p = Part.skip(w, "is a link: not followed (a bundle's sources are taken where they lie)");
      } else if (Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS)) {
        label = w + "/";
        p = dir(e, label, depth + 1, archives);
      } else if (Files.isRegularFile(e, LinkOption.NOFOLLOW_LINKS)) {
        p = file(e, w, depth, archives);
        if (p == Part.PLAIN) {
          plainHere++;
          plainAll++;
          continue;
        }
      } else {
        p = Part.skip(w, "is no regular file (a device, fifo or socket): not read");
      }
      if (p.nothingButPlain()) {
        skipped.add(new Skipped(label, "no driver source in it (" + count(p.plain(), "file") + ": documents, scripts, data)"));
      } else {
        skipped.addAll(p.skipped());
      }
      found.addAll(p.found());
      plainAll += p.plain();
      onlyPlain &= p.onlyPlain();
    }
    if (plainHere > 0 && !(found.isEmpty() && onlyPlain)) {
      skipped.add(new Skipped(where.isEmpty() ? "./" : where, count(plainHere, "other file") + " (documents, scripts, data): no package, archive or DKMS tree"));
    }
    return new Part(found, skipped, plainAll, onlyPlain);
  }

  /** One file; a refusal of it names it where it lies in the bundle, not in kmodkit's scratch copy. */
  private Part file(Path f, String where, int depth, int archives) throws BadInputException {
    try {
      return form(f, where, depth, archives);
    } catch (BadInputException e) {
      String at = f.toString();
      if (!e.file().startsWith(at)) {
        throw e; // named already, deeper down
      }
      throw new BadInputException(bundle + where + e.file().substring(at.length()), e.getMessage().substring(e.file().length() + 2), e);
    }
  }

  private Part form(Path f, String where, int depth, int archives) throws BadInputException {
    PackageReader.Format format = PackageReader.detect(f);
    if (format == PackageReader.Format.DEB) {
      return deb(f, where, archives);
    }
    if (format == PackageReader.Format.RPM) {
      return rpm(f, where, archives);
    }
    if (Extractor.isTarball(f)) {
      return tarball(f, where, depth, archives);
    }
    return Part.PLAIN;
  }

  private Part deb(Path f, String where, int archives) throws BadInputException {
    if (!f.getFileName().toString().contains("-dkms")) {
      return Part.skip(where, "binary package (not *-dkms): nothing to rebuild");
    }
    TreeSet<String> trees = new TreeSet<>();
    PackageReader.read(f, (entry, data) -> {
      Matcher m = DKMS_CONF.matcher(entry.path());
      if (m.matches() && entry.regular()) {
        trees.add(m.group(1));
      }
    });
    if (trees.isEmpty()) {
      return Part.skip(where, "named *-dkms but holds no /usr/src/<name>-<version>/dkms.conf: nothing to rebuild");
    }
    if (trees.size() > 1) {
      return Part.skip(where, "holds " + trees.size() + " DKMS trees under /usr/src (" + String.join(", ", trees) + "): unpack it and name the one to build in kmodkit-bundle.conf");
    }
    return found(f, where, Kind.DKMS_DEB, trees.first(), archives);
  }

  private Part rpm(Path f, String where, int archives) throws BadInputException {
    RpmHeaders h = RpmHeaders.readHeaders(f);
    if (!h.sourceRpm().isEmpty()) {
      return Part.skip(where, "binary RPM (built from " + h.sourceRpm() + "): its source RPM is what is rebuilt");
    }
    StringBuilder specs = new StringBuilder();
    PackageReader.read(f, (entry, data) -> {
      if (entry.regular() && entry.path().endsWith(".spec") && entry.path().lastIndexOf('/') == 0) {
        specs.append(new String(data.readNBytes(SPEC_BYTES), StandardCharsets.UTF_8)).append('\n');
      }
    });
    if (specs.isEmpty()) {
      return Part.skip(where, "source RPM without a .spec: nothing rpmbuild can rebuild");
    }
    if (!KERNEL_SPEC.matcher(specs).find()) {
      return Part.skip(where, "source RPM of no kernel module: its spec takes the kernel in none of KVERSION, K_SRC (MLNX), kmodtool, %kernel_module_package");
    }
    return found(f, where, Kind.SRPM, h.name(), archives);
  }

  private Part tarball(Path f, String where, int depth, int archives) throws BadInputException {
    if (archives >= bounds.archives()) {
      return Part.skip(where, "a tarball inside " + archives + " tarballs: not opened (a bundle's tarballs are opened " + bounds.archives() + " deep)");
    }
    Path dest = work.resolve("nested-" + ++unpacked);
    ExpansionLimit limit = bounds.expansion();
    Extractor.untar(f, dest, left == limit.bytes() ? limit : new ExpansionLimit(Math.max(left, 1), "what is left of the " + ExpansionLimit.size(limit.bytes()) + " all of a bundle's tarballs may unpack together (" + limit.why() + ")"));
    left -= bytes(dest);
    Path top = dest;
    List<Path> in = DriverInputs.list(dest, p -> true);
    if (in.size() == 1 && Files.isDirectory(in.get(0), LinkOption.NOFOLLOW_LINKS)) {
      top = in.get(0);
    }
    String inside = where + "!/" + (top == dest ? "" : top.getFileName() + "/");
    if (isDriverTree(top)) {
      return found(top, inside, Kind.TARBALL, top == dest ? f.getFileName().toString() : top.getFileName().toString(), archives + 1);
    }
    return dir(top, inside, depth + 1, archives + 1);
  }

  /** "1 file", "2 files". */
  static String count(int n, String what) {
    return n + " " + what + (n == 1 ? "" : "s");
  }

  /** The bytes of the files under {@code d} (links not followed). */
  private static long bytes(Path d) throws BadInputException {
    try (Stream<Path> s = Files.walk(d)) {
      long n = 0;
      for (Path f : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          n += Files.size(f);
        }
      }
      return n;
    } catch (IOException | UncheckedIOException e) {
      throw new BadInputException(d.toString(), "cannot read what was unpacked (" + e.getMessage() + ")");
    }
  }

  /** A DKMS tree, or a Kbuild driver: a Kbuild file, or a Makefile that makes obj-m. */
  private static boolean isDriverTree(Path d) throws BadInputException {
    if (Files.isRegularFile(d.resolve("dkms.conf"), LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(d.resolve("Kbuild"), LinkOption.NOFOLLOW_LINKS)) {
      return true;
    }
    Path make = d.resolve("Makefile");
    if (!Files.isRegularFile(make, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(make, LinkOption.NOFOLLOW_LINKS)) {
      String text = new String(in.readNBytes(1 << 16), StandardCharsets.UTF_8);
      return text.contains("obj-m") || text.contains("obj-$(");
    } catch (IOException e) {
      throw new BadInputException(make.toString(), "cannot read (" + e.getMessage() + ")");
    }
  }

  private static Part found(Path p, String where, Kind kind, String name, int archives) {
    return new Part(List.of(new Found(p, where, kind, driver(name), archives)), List.of(), 0, false);
  }

  /** A tarball's name without its .tar.gz, .tgz, … */
  static String unsuffixed(String tarball) {
    return tarball.replaceFirst("\\.(tar(\\.[a-z0-9]+)?|tgz|tbz2?|txz)$", "");
  }

  /**
   * The name two forms of one driver share: "vpoll-0.1" (a /usr/src tree), "hello-kmod" (an SRPM),
   * "knem-dkms", "kmod-knem" all give "knem"-like names — the version, kmod-, -dkms, -kmod and -kmp
   * taken off, in lower case, '_' read as '-'.
   */
  static String driver(String name) {
    String n = unsuffixed(name);
    Matcher m = VERSIONED.matcher(n);
    if (m.matches()) {
      n = m.group(1);
    }
    n = n.toLowerCase(java.util.Locale.ROOT).replace('_', '-').replaceAll("\\p{Cntrl}", "?");
    return n.replaceFirst("^kmod-", "").replaceFirst("-(dkms|kmod|kmp)$", "");
  }
}
