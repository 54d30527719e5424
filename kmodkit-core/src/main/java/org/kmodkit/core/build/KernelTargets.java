package org.kmodkit.core.build;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.KmodkitException;
import org.kmodkit.core.abi.KernelConfig;
import org.kmodkit.core.cache.Cache;
import org.kmodkit.core.tree.Sysroot;

/**
 * Finds the kernel build directory {@code make -C} needs and makes it usable where it lies.
 * Debian's headers Makefile is one line, {@code include /usr/src/linux-headers-<r>-common/Makefile}:
 * an absolute path that is wrong once the headers live elsewhere (an image root, an extraction).
 * Such a tree is copied (it is small: the common part is only read) into the cache with that line
 * and its relative links pointed at the real places; the user's tree is never changed, and no
 * write follows a link (a Makefile that is a link is replaced in the copy).
 */
public final class KernelTargets {
  private static final Pattern INCLUDE = Pattern.compile("^include\\s+(/\\S+)\\s*$");
  private static final Pattern UTS_RELEASE = Pattern.compile("#define\\s+UTS_RELEASE\\s+\"([^\"]+)\"");
  private static final Pattern KBUILD_PACKAGE = Pattern.compile("(linux-kbuild-[0-9.]+)");

  private final Cache cache;

  /** @param cache where prepared copies go (below headers/), each held in use until the cache is closed */
  public KernelTargets(Cache cache) {
    this.cache = cache;
  }

  /** A kernel installed under {@code root} (its /lib/modules/&lt;release&gt;/build). */
  public KernelTarget installed(Sysroot root, String release) throws KmodkitException {
    Path modules = root.modulesDir(release);
    if (!Files.isDirectory(modules)) {
      throw new BadInputException(modules.toString(), "no such kernel: " + release + " is not installed under " + root.root() + " (ls " + root.modulesDir() + " lists the installed releases)");
    }
    Optional<Path> build = root.resolve(Sysroot.modulesPath(release, "build"));
    if (build.isEmpty() || !Files.isDirectory(build.get())) {
      throw new EnvironmentException(modules.resolve("build") + ": kernel " + release + " has no headers installed; install them (Debian: apt-get install linux-headers-" + release + "; RHEL: dnf install kernel-devel-" + release + ") or pass the headers packages with --kernel");
    }
    return target(build.get(), root.root().equals(Path.of("/")) ? Optional.empty() : Optional.of(root), Optional.of(root), root + ":" + release);
  }

  /**
   * A headers directory (a kernel build directory), used in place when it works where it lies.
   * Named through a link ({@code /lib/modules/<release>/build}), it is taken where it really lies:
   * its -common sibling is found there, and a copy is made of the tree, not of the link.
   */
  public KernelTarget headers(Path dir, String origin) throws KmodkitException {
    Path real;
    try {
      real = dir.toRealPath();
    } catch (IOException e) {
      real = dir.toAbsolutePath().normalize(); // not there: target() says so
    }
    return target(real, Optional.empty(), Optional.empty(), origin);
  }

  /**
   * A headers tree kmodkit extracted itself into its cache: its include lines are rewritten in
   * place to point inside {@code root}.
   */
  public KernelTarget extracted(Sysroot root, Path dir, String origin) throws KmodkitException {
    Path makefile = dir.resolve("Makefile");
    List<String> lines = readLines(makefile);
    List<String> out = new ArrayList<>();
    for (String l : lines) {
      Matcher m = INCLUDE.matcher(l);
      out.add(m.matches() ? "include " + root.path(m.group(1)) : l);
    }
    if (!out.equals(lines)) {
      try {
        BuildRunner.write(makefile, (String.join("\n", out) + "\n").getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new EnvironmentException(makefile + ": cannot rewrite (" + e.getMessage() + "); check the cache's permissions");
      }
    }
    return target(dir, Optional.empty(), Optional.empty(), origin);
  }

  private KernelTarget target(Path dir, Optional<Sysroot> inside, Optional<Sysroot> installedRoot, String origin) throws KmodkitException {
    if (!Files.isRegularFile(dir.resolve("Makefile"))) {
      throw new BadInputException(origin, "is not a kernel build directory (no Makefile in " + dir + "); pass a headers directory such as /usr/src/linux-headers-<release> or /lib/modules/<release>/build");
    }
    if (!Files.isRegularFile(dir.resolve("Module.symvers"))) {
      throw new BadInputException(origin, "has no Module.symvers in " + dir + ": modules built there would carry no symbol versions; install the full headers package (linux-headers-<release> / kernel-devel)");
    }
    String release = release(dir, origin);
    KernelConfig config = config(dir);
    Path buildDir = needsCopy(dir, inside) ? prepared(dir, inside, release) : dir;
    requireKbuildTools(buildDir, release);
    return new KernelTarget(release, buildDir, arch(config), config, compiler(config), installedRoot, origin);
  }

  /** True when an include line of the Makefile points somewhere else than the tree means. */
  private static boolean needsCopy(Path dir, Optional<Sysroot> inside) throws BadInputException {
    for (String l : readLines(dir.resolve("Makefile"))) {
      Matcher m = INCLUDE.matcher(l);
      if (m.matches()) {
        Path wanted = includeTarget(dir, m.group(1), inside);
        if (!wanted.equals(Path.of(m.group(1)))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Where {@code include abs} should point: inside the root when there is one; else at a sibling of
   * the tree with the same name (Debian's -common next to the flavour) when the tree was moved;
   * else where it says.
   */
  private static Path includeTarget(Path dir, String abs, Optional<Sysroot> inside) throws BadInputException {
    if (inside.isPresent()) {
      return inside.get().resolve(abs).orElseThrow(() -> new BadInputException(dir.resolve("Makefile").toString(), "includes " + abs + ", which is missing under " + inside.get().root() + "; install the headers' -common package there"));
    }
    Path a = Path.of(abs);
    if (a.getNameCount() >= 2 && dir.getParent() != null) {
      Path sibling = dir.getParent().resolve(a.subpath(a.getNameCount() - 2, a.getNameCount()).toString());
      if (Files.isRegularFile(sibling)) {
        return sibling.toAbsolutePath().normalize();
      }
    }
    if (!Files.isRegularFile(a)) {
      throw new BadInputException(dir.resolve("Makefile").toString(), "includes " + abs + ", which does not exist; install or extract the headers' -common package (Debian linux-headers-<release>-common) next to " + dir);
    }
    return a;
  }

  /** A copy of {@code dir} in the cache, include lines and relative links pointed at the real places. */
  private Path prepared(Path dir, Optional<Sysroot> inside, String release) throws KmodkitException {
    Path target = cache.root().resolve("headers").resolve(release + "-" + digest(dir.toString()));
    Path done = target.resolve(".kmodkit-prepared");
    cache.use(target);
    if (Files.isRegularFile(done)) {
      return target;
    }
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp" + ProcessHandle.current().pid());
    try {
      BuildRunner.deleteTree(tmp);
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
          Files.createDirectories(tmp.resolve(dir.relativize(d).toString()));
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
          Path to = tmp.resolve(dir.relativize(f).toString());
          if (attrs.isSymbolicLink()) {
            Path link = Files.readSymbolicLink(f);
            Path real = link.isAbsolute() ? (inside.isPresent() ? inside.get().path(link.toString()) : link) : f.getParent().resolve(link).normalize();
            Files.createSymbolicLink(to, real);
          } else {
            Files.copy(f, to, StandardCopyOption.COPY_ATTRIBUTES);
          }
          return FileVisitResult.CONTINUE;
        }
      });
      List<String> out = new ArrayList<>();
      for (String l : readLines(dir.resolve("Makefile"))) {
        Matcher m = INCLUDE.matcher(l);
        out.add(m.matches() ? "include " + includeTarget(dir, m.group(1), inside) : l);
      }
      // the copy's Makefile may be a link back into the user's tree: it is replaced, never written through
      BuildRunner.write(tmp.resolve("Makefile"), (String.join("\n", out) + "\n").getBytes(StandardCharsets.UTF_8));
      BuildRunner.write(tmp.resolve(".kmodkit-prepared"), ("copy of " + dir + " with its include lines pointed at the real places\n").getBytes(StandardCharsets.UTF_8));
      BuildRunner.deleteTree(target);
      Files.createDirectories(target.getParent());
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      cache.touch(target);
      return target;
    } catch (IOException e) {
      throw new EnvironmentException(target + ": cannot prepare a copy of the headers " + dir + " (" + e.getMessage() + "); check free space and permissions of the cache (KMODKIT_CACHE)", e);
    }
  }

  private static void requireKbuildTools(Path dir, String release) throws EnvironmentException {
    Path modpost = dir.resolve("scripts/mod/modpost");
    if (Files.isExecutable(modpost)) {
      return;
    }
    String pkg = "the kernel's kbuild tools (Debian linux-kbuild-<version>, RHEL kernel-devel-" + release + ")";
    Path scripts = dir.resolve("scripts");
    if (Files.isSymbolicLink(scripts)) {
      try {
        Matcher m = KBUILD_PACKAGE.matcher(Files.readSymbolicLink(scripts).toString());
        if (m.find()) {
          pkg = m.group(1) + " (Debian; with packages, add its .deb to --kernel)";
        }
      } catch (IOException e) {
        // keep the general advice
      }
    }
    throw new EnvironmentException(modpost + " is missing: kernel " + release + "'s build directory lacks its build tools; install " + pkg);
  }

  static String release(Path dir, String origin) throws BadInputException {
    Path uts = dir.resolve("include/generated/utsrelease.h");
    if (Files.isRegularFile(uts)) {
      Matcher m = UTS_RELEASE.matcher(String.join("\n", readLines(uts)));
      if (m.find()) {
        return m.group(1);
      }
    }
    Path rel = dir.resolve("include/config/kernel.release");
    if (Files.isRegularFile(rel)) {
      List<String> l = readLines(rel);
      if (!l.isEmpty() && !l.get(0).isBlank()) {
        return l.get(0).strip();
      }
    }
    throw new BadInputException(origin, "has no include/generated/utsrelease.h naming its release; pass a complete headers directory");
  }

  static KernelConfig config(Path dir) throws BadInputException {
    for (String name : List.of(".config", "include/config/auto.conf")) {
      Path c = dir.resolve(name);
      if (Files.isRegularFile(c)) {
        try (InputStream in = Files.newInputStream(c)) {
          return KernelConfig.parse(in);
        } catch (IOException e) {
          throw new BadInputException(c.toString(), "cannot read (" + e.getMessage() + ")");
        }
      }
    }
    return KernelConfig.empty();
  }

  /** The machine name DKMS's $arch holds (uname -m) for a kernel config. */
  static String arch(KernelConfig c) {
    if (c.enabled("X86_64")) {
      return "x86_64";
    }
    if (c.enabled("X86_32") || c.enabled("X86")) {
      return "i686";
    }
    if (c.enabled("ARM64")) {
      return "aarch64";
    }
    if (c.enabled("PPC64")) {
      return c.enabled("CPU_LITTLE_ENDIAN") ? "ppc64le" : "ppc64";
    }
    if (c.enabled("S390")) {
      return "s390x";
    }
    if (c.enabled("RISCV")) {
      return c.enabled("64BIT") ? "riscv64" : "riscv32";
    }
    if (c.enabled("ARM")) {
      return "armv7l";
    }
    return "unknown";
  }

  /** The compiler command the kernel was built with, from CONFIG_CC_VERSION_TEXT. */
  static String compiler(KernelConfig c) {
    String text = c.get("CC_VERSION_TEXT");
    if (text == null || text.isBlank()) {
      return "gcc";
    }
    if (text.contains("clang version")) {
      return "clang";
    }
    return text.strip().split("\\s+")[0];
  }

  private static List<String> readLines(Path f) throws BadInputException {
    try {
      return Files.readAllLines(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BadInputException(f.toString(), "cannot read (" + e.getMessage() + "); check the path and permissions");
    }
  }

  private static String digest(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)), 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
