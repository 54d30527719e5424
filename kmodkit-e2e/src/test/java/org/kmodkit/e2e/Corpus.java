package org.kmodkit.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The real Debian kernel corpus named by corpus/SHA256SUMS, in one of two modes.
 *
 * <p><b>Frozen</b> (reproducible): {@code $KMODKIT_CORPUS} or {@code ../shared/debian} holds every
 * file of SHA256SUMS, byte for byte the packages the expectations were first derived from.
 *
 * <p><b>Fetched</b> (a fresh machine with only Debian's archive): each package is taken into a
 * cache with {@code apt-get download NAME}, pinned by its name, not its version. A kernel's ABI is in
 * the name of its image and headers packages (linux-image-6.1.0-56-cloud-amd64-unsigned), so
 * whatever build of that ABI the archive serves is the same kernel ABI; packages whose name holds no
 * ABI (linux-kbuild-6.1, linux-compiler-gcc-12-x86, the *-dkms sources) change version with every
 * upload and are taken as served. A package of the frozen version is checked against SHA256SUMS;
 * any other version is checked for what the tier needs from it (the kernel's vmlinuz and modules,
 * its Module.symvers, kbuild's modpost, a dkms.conf) and named on stderr. An ABI the archive no
 * longer serves (old ABIs leave at point releases) fails with what to do: point KMODKIT_CORPUS at a
 * frozen copy. Expectations in the tests are derived from the packages and the referees, not from
 * package versions, so both modes must pass.
 */
final class Corpus {
  static final List<Integer> ABIS = List.of(53, 54, 55, 56);
  private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();
  private static Path debs;
  /** package name → its file in {@link #debs}. */
  private static Map<String, Path> files;

  private Corpus() {}

  static Path repo() {
    String r = System.getProperty("kmodkit.repo");
    Path p = r != null ? Path.of(r) : Path.of("..").toAbsolutePath().normalize();
    if (!Files.isRegularFile(p.resolve("corpus/SHA256SUMS"))) {
      p = Path.of("").toAbsolutePath().getParent();
    }
    return p;
  }

  static String release(int abi) {
    return "6.1.0-" + abi + "-cloud-amd64";
  }

  /** name_version_arch.deb → sha256, in file order. */
  static Map<String, String> sums() {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(repo().resolve("corpus/SHA256SUMS"))) {
        String[] f = line.trim().split("\\s+");
        if (f.length == 2) {
          out.put(f[1], f[0]);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The package name of a Debian file name {@code name_version_arch.deb}. */
  static String packageName(String file) {
    return file.substring(0, file.indexOf('_'));
  }

  /** The directory holding every corpus package: a frozen copy, or the cache, fetching what is missing. */
  static synchronized Path debs() {
    if (debs != null) {
      return debs;
    }
    Map<String, String> sums = sums();
    String env = System.getenv("KMODKIT_CORPUS");
    for (Path candidate : new Path[] {env == null ? null : Path.of(env), repo().resolve("../shared/debian").normalize()}) {
      if (candidate != null && sums.keySet().stream().allMatch(f -> Files.isRegularFile(candidate.resolve(f)))) {
        Map<String, Path> byName = new LinkedHashMap<>();
        sums.keySet().forEach(f -> byName.put(packageName(f), candidate.resolve(f)));
        files = byName;
        return debs = candidate;
      }
    }
    Path cache = cacheDir().resolve("corpus");
    try {
      Files.createDirectories(cache);
      Map<String, Path> byName = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : sums.entrySet()) {
        byName.put(packageName(e.getKey()), fetched(cache, e.getKey(), e.getValue()));
      }
      files = byName;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return debs = cache;
  }

  /**
   * The cached package named as {@code frozen}: the frozen file if its hash matches, else a served
   * build of the same package that holds what the tier needs, downloaded when none is cached. Only
   * one build per package stays in the cache, so a glob by name finds one file.
   */
  private static Path fetched(Path cache, String frozen, String sha256) throws IOException {
    String name = packageName(frozen);
    Path exact = cache.resolve(frozen);
    if (Files.isRegularFile(exact) && sha256(exact).equals(sha256)) {
      return exact;
    }
    Path have = cachedBuild(cache, name);
    if (have != null && Files.exists(have.resolveSibling(have.getFileName() + ".checked"))) {
      return have;
    }
    try (var old = Files.newDirectoryStream(cache, name + "_*")) {
      for (Path p : old) {
        Files.delete(p);
      }
    }
    Proc.Result r = Proc.run(cache, 600, "apt-get", "download", name);
    Path got = cachedBuild(cache, name);
    if (r.code() != 0 || got == null) {
      throw new IllegalStateException("the end-to-end corpus needs " + name + " and `apt-get download " + name + "` failed ("
          + r.err().strip() + "); run apt-get update; if Debian's archive no longer serves this kernel ABI, set KMODKIT_CORPUS to a "
          + "directory holding corpus/SHA256SUMS's files (the frozen corpus)");
    }
    if (got.getFileName().toString().equals(frozen)) {
      if (!sha256(got).equals(sha256)) {
        throw new IllegalStateException("corpus file " + got + " does not match corpus/SHA256SUMS after apt-get download; delete it and retry");
      }
    } else {
      String missing = lacks(got, name);
      if (missing != null) {
        throw new IllegalStateException("the archive serves " + got.getFileName() + " for " + name + " (the frozen corpus has " + frozen
            + "), but it lacks " + missing + "; set KMODKIT_CORPUS to a directory holding corpus/SHA256SUMS's files");
      }
      System.err.println("kmodkit e2e: corpus " + name + ": the archive serves " + got.getFileName() + " (frozen: " + frozen + "); its contents checked");
    }
    Files.writeString(got.resolveSibling(got.getFileName() + ".checked"), "");
    return got;
  }

  private static Path cachedBuild(Path cache, String name) throws IOException {
    try (var ds = Files.newDirectoryStream(cache, name + "_*.deb")) {
      Path found = null;
      for (Path p : ds) {
        found = p;
      }
      return found;
    }
  }

  /** What {@code deb} (package {@code name}) lacks of what the tier takes from it, or null. */
  static String lacks(Path deb, String name) {
    Proc.Result list = Proc.run(deb.getParent(), 300, "dpkg-deb", "--contents", deb.toString());
    if (list.code() != 0) {
      return "a readable data.tar (dpkg-deb --contents: " + list.err().strip() + ")";
    }
    java.util.function.Predicate<String> has = path -> list.out().lines().anyMatch(l -> l.endsWith(" ./" + path) || l.contains(" ./" + path + " -> "));
    java.util.regex.Matcher image = java.util.regex.Pattern.compile("linux-image-(.+?)(-unsigned)?").matcher(name);
    java.util.regex.Matcher headers = java.util.regex.Pattern.compile("linux-headers-(.+)").matcher(name);
    java.util.regex.Matcher kbuild = java.util.regex.Pattern.compile("linux-kbuild-(.+)").matcher(name);
    String need;
    if (image.matches()) {
      need = "boot/vmlinuz-" + image.group(1);
      return has.test(need) && list.out().contains(" ./lib/modules/" + image.group(1) + "/kernel/") ? null : need + " and lib/modules/" + image.group(1) + "/kernel/";
    } else if (headers.matches() && name.endsWith("-common")) {
      need = "usr/src/" + name + "/Makefile";
    } else if (headers.matches()) {
      need = "usr/src/" + name + "/Module.symvers";
    } else if (kbuild.matches()) {
      need = "usr/lib/" + name + "/scripts/mod/modpost";
    } else if (name.endsWith("-dkms")) {
      return list.out().lines().anyMatch(l -> l.matches(".* \\./usr/src/[^/]+/dkms\\.conf")) ? null : "usr/src/<name>-<version>/dkms.conf";
    } else {
      return null; // linux-compiler-gcc-12-x86: a dependency package, what it brings is gcc-12 itself
    }
    return has.test(need) ? null : need;
  }

  static Path cacheDir() {
    String c = System.getenv("KMODKIT_CACHE");
    return c != null ? Path.of(c) : Path.of(System.getProperty("user.home"), ".cache", "kmodkit");
  }

  static String sha256(Path f) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      try (var in = Files.newInputStream(f)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          md.update(buf, 0, n);
        }
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The corpus package named {@code name} (its Debian package name, any version). */
  static Path pkg(String name) {
    debs();
    Path p = files.get(name);
    if (p == null) {
      throw new IllegalStateException("no corpus package named " + name + " in corpus/SHA256SUMS");
    }
    return p;
  }

  /** The corpus package whose file name starts with {@code prefix} ({@code name_}). */
  static Path deb(String prefix) {
    return pkg(prefix.endsWith("_") ? prefix.substring(0, prefix.length() - 1) : prefix);
  }

  static Path image(int abi) {
    return pkg("linux-image-" + release(abi) + "-unsigned");
  }

  static Path headers(int abi) {
    return pkg("linux-headers-" + release(abi));
  }

  static Path headersCommon(int abi) {
    return pkg("linux-headers-6.1.0-" + abi + "-common");
  }

  /** The work area for this build (target/e2e-work), shared by the tests of one run. */
  static Path work() {
    Path w = Path.of("target", "e2e-work").toAbsolutePath();
    try {
      Files.createDirectories(w);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w;
  }

  /** ABI {@code abi}'s image + headers extracted (dpkg-deb -x) into one read-only-by-convention root. */
  static Path root(int abi) {
    return EXTRACTED.computeIfAbsent("root-" + abi, k -> {
      Path dir = work().resolve(k);
      Path done = dir.resolve(".extracted");
      if (!Files.exists(done)) {
        Proc.run(work(), 60, "rm", "-rf", dir.toString());
        for (Path deb : List.of(image(abi), headers(abi))) {
          Proc.check(work(), 300, "dpkg-deb", "-x", deb.toString(), dir.toString());
        }
        try {
          Files.createFile(done);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return dir;
    });
  }

  static Path modules(int abi) {
    return root(abi).resolve("lib/modules/" + release(abi));
  }

  static Path symvers(int abi) {
    return root(abi).resolve("usr/src/linux-headers-" + release(abi) + "/Module.symvers");
  }
}
