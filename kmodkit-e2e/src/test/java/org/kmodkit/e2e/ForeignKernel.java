package org.kmodkit.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Debian bookworm kernel of another architecture (image and flavour headers: what check reads), the
 * newest 6.1 ABI apt knows, fetched with apt-get download into {@code <cache>/arch/<arch>/debs}
 * (bench/arch-vermagic.sh's layout) and extracted once per build. Needs
 * {@code dpkg --add-architecture <arch> && apt-get update} (.ci/run).
 */
record ForeignKernel(String arch, String release, Path image, Path headers, Path root) {
  static ForeignKernel fetch(String arch, String flavour) {
    String abi = newestAbi(arch, flavour);
    String release = abi + "-" + flavour;
    Path debs = Corpus.cacheDir().resolve("arch").resolve(arch).resolve("debs");
    try {
      Files.createDirectories(debs);
      Path image = download(debs, "linux-image-" + release, arch);
      Path headers = download(debs, "linux-headers-" + release, arch);
      Path root = Corpus.work().resolve("arch-" + release);
      if (!Files.exists(root.resolve(".extracted"))) {
        Proc.run(Corpus.work(), 60, "rm", "-rf", root.toString());
        for (Path deb : new Path[] {image, headers}) {
          Proc.check(Corpus.work(), 300, "dpkg-deb", "-x", deb.toString(), root.toString());
        }
        Files.createFile(root.resolve(".extracted"));
      }
      return new ForeignKernel(arch, release, image, headers, root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path modules() {
    return root.resolve("lib/modules/" + release);
  }

  Path headersDir() {
    return root.resolve("usr/src/linux-headers-" + release);
  }

  private static String newestAbi(String arch, String flavour) {
    Proc.Result r = Proc.check(Corpus.work(), 120, "apt-cache", "search", "--names-only", "^linux-image-6\\.1\\.0-[0-9]+-" + flavour + "$");
    Pattern p = Pattern.compile("^linux-image-(6\\.1\\.0-(\\d+))-" + Pattern.quote(flavour) + " ", Pattern.MULTILINE);
    Matcher m = p.matcher(r.out());
    String best = null;
    int n = -1;
    while (m.find()) {
      if (Integer.parseInt(m.group(2)) > n) {
        n = Integer.parseInt(m.group(2));
        best = m.group(1);
      }
    }
    if (best == null) {
      throw new IllegalStateException("apt knows no linux-image-6.1.0-*-" + flavour + ": run `dpkg --add-architecture " + arch + " && apt-get update` (.ci/run does)");
    }
    return best;
  }

  /** The .deb of {@code name} in {@code debs}, downloaded when missing. */
  private static Path download(Path debs, String name, String debArch) throws IOException {
    Path found = existing(debs, name, debArch);
    if (found == null) {
      String spec = name + ":" + debArch;
      Proc.Result r = Proc.run(debs, 900, "apt-get", "download", spec);
      found = existing(debs, name, debArch);
      if (r.code() != 0 || found == null) {
        throw new IllegalStateException("`apt-get download " + spec + "` failed (" + r.err().strip() + "): run `dpkg --add-architecture " + debArch + " && apt-get update` (.ci/run does), or put the package in " + debs);
      }
    }
    return found;
  }

  private static Path existing(Path debs, String name, String debArch) throws IOException {
    try (var s = Files.list(debs)) {
      return s.filter(f -> f.getFileName().toString().startsWith(name + "_") && f.getFileName().toString().endsWith("_" + debArch + ".deb"))
          .max(Comparator.comparing(Path::toString)).orElse(null);
    }
  }
}
