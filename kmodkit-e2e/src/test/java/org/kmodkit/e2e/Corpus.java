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
 * The real Debian kernel corpus (corpus/SHA256SUMS): found locally or fetched with apt-get
 * download into a cache, checked by hash, and extracted once per build with dpkg-deb -x.
 */
final class Corpus {
  static final List<Integer> ABIS = List.of(53, 54, 55, 56);
  private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();
  private static Path debs;

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

  /** The directory holding every corpus package, fetching what is missing. */
  static synchronized Path debs() {
    if (debs != null) {
      return debs;
    }
    Map<String, String> sums = sums();
    String env = System.getenv("KMODKIT_CORPUS");
    for (Path candidate : new Path[] {env == null ? null : Path.of(env), repo().resolve("../shared/debian").normalize()}) {
      if (candidate != null && sums.keySet().stream().allMatch(f -> Files.isRegularFile(candidate.resolve(f)))) {
        return debs = candidate;
      }
    }
    Path cache = cacheDir().resolve("corpus");
    try {
      Files.createDirectories(cache);
      for (Map.Entry<String, String> e : sums.entrySet()) {
        Path f = cache.resolve(e.getKey());
        if (!Files.isRegularFile(f) || !sha256(f).equals(e.getValue())) {
          fetch(cache, e.getKey());
          if (!sha256(f).equals(e.getValue())) {
            throw new IllegalStateException("corpus file " + f + " does not match corpus/SHA256SUMS after apt-get download; delete it and retry");
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return debs = cache;
  }

  static Path cacheDir() {
    String c = System.getenv("KMODKIT_CACHE");
    return c != null ? Path.of(c) : Path.of(System.getProperty("user.home"), ".cache", "kmodkit");
  }

  private static void fetch(Path dir, String file) {
    String[] f = file.substring(0, file.length() - 4).split("_");
    String spec = f[0] + "=" + f[1].replace("%3a", ":");
    Proc.Result r = Proc.run(dir, 600, "apt-get", "download", spec);
    if (r.code() != 0) {
      throw new IllegalStateException("the end-to-end corpus lacks " + file + " and `apt-get download " + spec + "` failed (" + r.err().strip() + "): set KMODKIT_CORPUS to a directory holding corpus/SHA256SUMS's files, or run apt-get update");
    }
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

  /** The corpus package whose file name starts with {@code prefix}. */
  static Path deb(String prefix) {
    Path dir = debs();
    return sums().keySet().stream().filter(f -> f.startsWith(prefix)).findFirst().map(dir::resolve)
        .orElseThrow(() -> new IllegalStateException("no corpus package starting with " + prefix));
  }

  static Path image(int abi) {
    return deb("linux-image-6.1.0-" + abi + "-cloud-amd64-unsigned_");
  }

  static Path headers(int abi) {
    return deb("linux-headers-6.1.0-" + abi + "-cloud-amd64_");
  }

  static Path headersCommon(int abi) {
    return deb("linux-headers-6.1.0-" + abi + "-common_");
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
