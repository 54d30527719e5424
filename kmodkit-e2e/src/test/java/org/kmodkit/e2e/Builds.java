package org.kmodkit.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Real out-of-tree modules built in the test, as DKMS builds them ({@code make -C <headers> M=<src>
 * modules}), against the corpus headers unpacked with dpkg-deb (headers, headers-common,
 * linux-kbuild-6.1, the gcc-12 compiler package): the one absolute {@code include} line of the
 * flavour Makefile is pointed inside the unpacked root (recipes/04-build-module.sh). Results are
 * kept in target/e2e-work/builds/ for the rest of the build.
 */
final class Builds {
  /** What one build yields: its directory with the .ko files. */
  record Build(Path dir) {
    Path ko(String name) {
      Path p = dir.resolve(name + ".ko");
      if (!Files.isRegularFile(p)) {
        throw new IllegalStateException("build " + dir + " made no " + name + ".ko");
      }
      return p;
    }
  }

  private static final Map<String, Build> DONE = new ConcurrentHashMap<>();
  private static final Map<String, Object> LOCKS = new ConcurrentHashMap<>();
  private static final Map<Integer, Path> HEADERS = new ConcurrentHashMap<>();

  private Builds() {}

  /** recipes/hello: hello (exports hello_api), hello_nonet, hello_user (needs hello). */
  static Build hello(int abi) {
    return build(abi, "hello", Corpus.repo().resolve("fixtures/src/hello"));
  }

  /** fixtures/src/hello_export: hello_export (exports, one in a namespace), hello_import. */
  static Build export(int abi) {
    return build(abi, "hello_export", Corpus.repo().resolve("fixtures/src/hello_export"));
  }

  /** fixtures/src/faults: kmodkit_panic, kmodkit_hang. */
  static Build faults(int abi) {
    return build(abi, "faults", Corpus.repo().resolve("fixtures/src/faults"));
  }

  /** vpoll-dkms 0.1: vpoll. */
  static Build vpoll(int abi) {
    return build(abi, "vpoll", dkmsSource("vpoll-dkms_", "vpoll-0.1"));
  }

  /** acpi-call-dkms 1.2.2: acpi_call. */
  static Build acpiCall(int abi) {
    return build(abi, "acpi_call", dkmsSource("acpi-call-dkms_", "acpi-call-1.2.2"));
  }

  /** dpdk-kmods-dkms: igb_uio (needs uio), with the MODULE_CFLAGS its dkms.conf passes. */
  static Build igbUio(int abi) {
    return build(abi, "igb_uio", dkmsSource("dpdk-kmods-dkms_", "dpdk-kmods-0~20220829+git"), "MODULE_CFLAGS=-fno-PIE");
  }

  static Build build(int abi, String name, Path src, String... makeArgs) {
    String key = abi + "/" + name;
    synchronized (LOCKS.computeIfAbsent(key, k -> new Object())) { // builds of different keys run in parallel
      Build known = DONE.get(key);
      if (known != null) {
        return known;
      }
      Path out = Corpus.work().resolve("builds/" + key);
      Path done = out.resolve(".built");
      if (!Files.exists(done)) {
        Path kdir = headers(abi);
        Proc.run(Corpus.work(), 60, "rm", "-rf", out.toString());
        Proc.check(Corpus.work(), 60, "mkdir", "-p", out.getParent().toString());
        Proc.check(Corpus.work(), 60, "cp", "-r", src.toString(), out.toString());
        Proc.check(Corpus.work(), 60, "chmod", "-R", "u+w", out.toString());
        List<String> cmd = new ArrayList<>(List.of("make", "-C", kdir.toString(), "M=" + out, "modules"));
        cmd.addAll(List.of(makeArgs));
        Proc.Result r = Proc.run(out, 600, cmd.toArray(String[]::new));
        if (r.code() != 0) {
          throw new IllegalStateException("building " + name + " against 6.1.0-" + abi + " failed (" + String.join(" ", cmd) + "):\n" + r.out() + r.err());
        }
        try {
          Files.createFile(done);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      Build b = new Build(out);
      DONE.put(key, b);
      return b;
    }
  }

  /** The flavour headers directory (the kbuild KDIR) of ABI {@code abi}, unpacked once. */
  static synchronized Path headers(int abi) {
    return HEADERS.computeIfAbsent(abi, a -> {
      Path root = Corpus.work().resolve("build-root-" + a);
      Path kdir = root.resolve("usr/src/linux-headers-" + Corpus.release(a));
      if (!Files.exists(root.resolve(".extracted"))) {
        Proc.run(Corpus.work(), 60, "rm", "-rf", root.toString());
        for (Path deb : List.of(Corpus.headers(a), Corpus.headersCommon(a), Corpus.deb("linux-kbuild-6.1_"), Corpus.deb("linux-compiler-gcc-12-x86_"))) {
          Proc.check(Corpus.work(), 300, "dpkg-deb", "-x", deb.toString(), root.toString());
        }
        try {
          Path makefile = kdir.resolve("Makefile");
          String text = Files.readString(makefile, StandardCharsets.UTF_8);
          Files.writeString(makefile, text.replaceFirst("(?m)^include /usr/src/", java.util.regex.Matcher.quoteReplacement("include " + root.resolve("usr/src") + "/")), StandardCharsets.UTF_8);
          Files.createFile(root.resolve(".extracted"));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return kdir;
    });
  }

  /** The source tree {@code dir} of a corpus *-dkms package (/usr/src/{@code dir}), unpacked once. */
  static synchronized Path dkmsSource(String debPrefix, String dir) {
    Path root = Corpus.work().resolve("dkms-src");
    Path src = root.resolve("usr/src/" + dir);
    if (!Files.isRegularFile(src.resolve("dkms.conf"))) {
      Proc.check(Corpus.work(), 120, "dpkg-deb", "-x", Corpus.deb(debPrefix).toString(), root.toString());
    }
    return src;
  }

  /** The .ko files of {@code build}, by file name. */
  static List<Path> modules(Build build) {
    try (Stream<Path> s = Files.list(build.dir())) {
      return s.filter(p -> p.toString().endsWith(".ko")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
