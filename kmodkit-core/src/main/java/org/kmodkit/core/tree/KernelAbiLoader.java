package org.kmodkit.core.tree;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.KernelAbi;
import org.kmodkit.core.abi.KernelConfig;
import org.kmodkit.core.abi.Symvers;
import org.kmodkit.core.elf.Elf;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.core.image.ImageWithoutExportsException;
import org.kmodkit.core.image.KernelImage;
import org.kmodkit.core.image.KernelImageReader;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.core.io.InputFiles;

/**
 * Builds a {@link KernelAbi} from what a system or a download offers: a Module.symvers or
 * symvers-*.gz/.xz file, a headers directory, or an installed tree under a {@link Sysroot}.
 */
public final class KernelAbiLoader {
  private static final Pattern SYMVERS_NAME = Pattern.compile("symvers-(.+?)(\\.gz|\\.xz|\\.zst)?$");
  private static final Pattern UTS_RELEASE = Pattern.compile("#define\\s+UTS_RELEASE\\s+\"([^\"]+)\"");

  private KernelAbiLoader() {}

  /**
   * A KERNEL argument: a symvers file, or a headers directory (one with Module.symvers). An
   * installed tree needs {@link #fromTree}.
   */
  public static KernelAbi load(Path path) throws BadInputException {
    if (Files.isDirectory(path)) {
      if (Files.isRegularFile(path.resolve("Module.symvers"))) {
        return fromHeaders(path);
      }
      if (Files.isDirectory(new Sysroot(path).modulesDir())) {
        throw new BadInputException(path.toString(), "is a system root; pass it as --root " + path + " with the kernel release");
      }
      throw new BadInputException(path.toString(), "has no Module.symvers; pass a kernel headers directory, a symvers file, kernel packages, or --root DIR with a release");
    }
    if (!Files.exists(path)) {
      throw new BadInputException(path.toString(), "no such file or directory; check the path");
    }
    if (KernelImageReader.looksLikeImage(InputFiles.head(path, path.toString(), 0x250))) {
      return fromImage(path);
    }
    Path parent = path.toAbsolutePath().getParent();
    if (path.getFileName().toString().equals("Module.symvers") && parent != null && Files.isRegularFile(parent.resolve("include/generated/utsrelease.h"))) {
      return fromHeaders(parent); // a headers directory's own Module.symvers: take its release and config too
    }
    return fromSymvers(path);
  }

  public static KernelAbi fromSymvers(Path file) throws BadInputException {
    KernelAbi.Builder b = KernelAbi.builder();
    addSymvers(b, file.toString(), readFile(file));
    Matcher m = SYMVERS_NAME.matcher(file.getFileName().toString());
    if (m.matches()) {
      b.release(m.group(1));
    }
    return b.build();
  }

  /** The ABI a kernel image (vmlinuz, vmlinux) carries: vmlinux's exports, release, architecture. */
  public static KernelAbi fromImage(Path image) throws BadInputException {
    KernelAbi.Builder b = KernelAbi.builder();
    addImage(b, KernelImageReader.read(image));
    return b.build();
  }

  /**
   * Adds a kernel image's exports; when a symvers already gave vmlinux's exports the two are
   * cross-checked and any difference is an error (headers and image from different builds).
   */
  public static void addImage(KernelAbi.Builder b, KernelImage img) throws BadInputException {
    String what = "vmlinuz: " + img.source() + " (" + img.format() + ", " + img.compression().label() + ", " + img.exports().size() + " exports)";
    if (b.hasSymbols()) {
      List<String> diff = b.differences(img.exports());
      if (!diff.isEmpty()) {
        throw new BadInputException(img.source(), "disagrees with the kernel's symvers about " + diff.size() + " vmlinux exports (first: " + diff.get(0) + "); the headers and the image come from different builds: use the packages of one kernel build");
      }
      b.source(what + ", cross-checked: identical to symvers");
    } else {
      b.symbols(img.exports());
      b.source(what);
    }
    b.arch(img.arch());
    if (img.release() != null) {
      b.release(img.release());
    }
  }

  /** Reads a kernel image, for {@link #addImage(KernelAbi.Builder, ImageRead)}. */
  public interface ImageRead {
    KernelImage read() throws BadInputException;
  }

  /**
   * Adds an image as {@link #addImage(KernelAbi.Builder, KernelImage)} does, except that an image
   * whose format holds no export tables (an arm64 Image) beside a symvers is noted as not
   * cross-checked instead of refusing a kernel the symvers already describes.
   */
  public static void addImage(KernelAbi.Builder b, ImageRead image) throws BadInputException {
    KernelImage img;
    try {
      img = image.read();
    } catch (ImageWithoutExportsException e) {
      if (!b.hasSymbols()) {
        throw e;
      }
      b.note("vmlinuz not cross-checked with the symvers: " + e.getMessage());
      return;
    }
    addImage(b, img);
  }

  public static KernelAbi fromHeaders(Path dir) throws BadInputException {
    KernelAbi.Builder b = KernelAbi.builder();
    addHeaders(b, dir);
    return b.build();
  }

  /** Adds a headers directory's Module.symvers, .config and release to {@code b}. */
  public static void addHeaders(KernelAbi.Builder b, Path dir) throws BadInputException {
    Path symvers = dir.resolve("Module.symvers");
    addSymvers(b, symvers.toString(), readFile(symvers));
    Path uts = dir.resolve("include/generated/utsrelease.h");
    if (Files.isRegularFile(uts)) {
      releaseFromUtsHeader(b, readFile(uts));
    }
    for (String config : List.of(".config", "include/config/auto.conf")) {
      Path c = dir.resolve(config);
      if (Files.isRegularFile(c)) {
        addConfig(b, c.toString(), readFile(c));
        break;
      }
    }
  }

  /**
   * An installed kernel: {@code <root>/lib/modules/<release>} with its modules, plus a symvers from
   * boot/, the tree, or the headers the tree's build link points at.
   */
  public static KernelAbi fromTree(Sysroot root, String release) throws BadInputException {
    return fromTree(root, release, p -> true);
  }

  /**
   * As {@link #fromTree(Sysroot, String)}, reading only the tree modules whose path relative to
   * the tree passes {@code include} (weak-updates planning leaves out weak-updates/ itself).
   */
  public static KernelAbi fromTree(Sysroot root, String release, java.util.function.Predicate<String> include) throws BadInputException {
    Path modules = root.modulesDir(release);
    if (!Files.isDirectory(modules)) {
      throw new BadInputException(modules.toString(), "no such kernel tree: kernel " + release + " is not installed under " + root.root() + " (ls " + root.modulesDir() + " lists the installed releases)");
    }
    KernelAbi.Builder b = KernelAbi.builder().release(release);
    addBootFacts(b, root, release);
    Optional<Path> image = findImage(root, release);
    if (image.isPresent()) {
      addImage(b, () -> KernelImageReader.read(image.get()));
    }
    addTreeModules(b, modules, include);
    if (!b.hasSymbols()) {
      throw new BadInputException(modules.toString(), "kernel " + release + " has no symvers and no image (looked in /boot/symvers-" + release + ".gz, /lib/modules/" + release + "/symvers.gz, its build/ headers, /usr/src, /boot/vmlinuz-" + release + "): install its headers (linux-headers-" + release + " or kernel-devel) or pass the kernel packages");
    }
    return b.build();
  }

  /**
   * An installed kernel whose {@code tree} was read already (so its modules are parsed once), for
   * ordering loads when the booted kernel is the judge: what its modules export and need, plus the
   * symvers and config when there are any. The image is not read: vmlinux's exports order nothing.
   */
  public static KernelAbi fromTree(Sysroot root, ModuleTree tree) throws BadInputException {
    KernelAbi.Builder b = KernelAbi.builder().release(tree.release());
    addBootFacts(b, root, tree.release());
    for (ModuleTree.TreeModule m : tree.modules().values()) {
      addTreeModule(b, m.module(), m.relativePath());
    }
    for (String name : tree.builtin()) {
      b.builtin(name);
    }
    b.source("modules: " + tree.dir() + " (" + tree.modules().size() + " read)");
    return b.build();
  }

  /** The symvers (boot/, the tree, or headers) and config of an installed kernel. */
  private static void addBootFacts(KernelAbi.Builder b, Sysroot root, String release) throws BadInputException {
    Optional<Path> symvers = findSymvers(root, release);
    Optional<Path> headers = findHeaders(root, release);
    if (symvers.isPresent()) {
      addSymvers(b, symvers.get().toString(), readFile(symvers.get()));
    } else if (headers.isPresent()) {
      addHeaders(b, headers.get());
    }
    Optional<Path> config = root.resolve(Sysroot.bootPath("config-" + release));
    if (config.isPresent()) {
      addConfig(b, config.get().toString(), readFile(config.get()));
    } else if (headers.isPresent() && Files.isRegularFile(headers.get().resolve(".config"))) {
      addConfig(b, headers.get().resolve(".config").toString(), readFile(headers.get().resolve(".config")));
    }
  }

  /**
   * As {@link #fromTree(Sysroot, String, java.util.function.Predicate)}, for planning that loads
   * many installed kernels at once (weak-updates, status): when a symvers (or the headers'
   * Module.symvers) gives the kernel's exports, the kernel's own modules under kernel/ are listed,
   * not read (symvers already holds their exports and CRCs; one is read for the architecture and
   * vermagic), and the image is not decompressed for the cross-check `check --root` makes.
   * Modules elsewhere in the tree (extra/, updates/) are read as always.
   */
  public static KernelAbi fromInstalledTree(Sysroot root, String release, java.util.function.Predicate<String> include) throws BadInputException {
    Path modules = root.modulesDir(release);
    Optional<Path> symvers = findSymvers(root, release);
    Optional<Path> headers = findHeaders(root, release);
    if (!Files.isDirectory(modules) || (symvers.isEmpty() && headers.isEmpty())) {
      return fromTree(root, release, include);
    }
    KernelAbi.Builder b = KernelAbi.builder().release(release);
    if (symvers.isPresent()) {
      addSymvers(b, symvers.get().toString(), readFile(symvers.get()));
    } else {
      addHeaders(b, headers.get());
    }
    Optional<Path> config = root.resolve(Sysroot.bootPath("config-" + release));
    if (config.isPresent()) {
      addConfig(b, config.get().toString(), readFile(config.get()));
    } else if (headers.isPresent() && Files.isRegularFile(headers.get().resolve(".config"))) {
      addConfig(b, headers.get().resolve(".config").toString(), readFile(headers.get().resolve(".config")));
    }
    if (!b.hasSymbols()) {
      return fromTree(root, release, include);
    }
    java.util.Map<Path, String> all = new java.util.LinkedHashMap<>(); // each file with its path below the tree, in the tree's order
    for (Path f : ModuleFiles.findInTree(modules)) {
      String rel = modules.relativize(f).toString();
      if (include.test(rel)) {
        all.put(f, rel);
      }
    }
    List<Path> read = new java.util.ArrayList<>();
    boolean sampled = false;
    for (java.util.Map.Entry<Path, String> e : all.entrySet()) {
      boolean own = e.getValue().startsWith("kernel/");
      if (!own || !sampled) {
        read.add(e.getKey());
        sampled |= own;
      }
    }
    java.util.Map<Path, ModuleFiles.Read> reads = new java.util.HashMap<>();
    for (ModuleFiles.Read r : ModuleFiles.readAll(read, Path::toString)) {
      reads.put(r.file(), r);
    }
    int ok = 0;
    for (java.util.Map.Entry<Path, String> e : all.entrySet()) { // in the tree's order, as fromTree adds them: the later of two namesakes wins there too
      String rel = e.getValue();
      ModuleFiles.Read r = reads.get(e.getKey());
      if (r == null) {
        b.treeModule(ModuleReader.nameFromPath(rel), List.of(), rel);
      } else if (r.ok()) {
        addTreeModule(b, r.module(), rel);
        ok++;
      }
    }
    Path builtin = modules.resolve("modules.builtin");
    if (Files.isRegularFile(builtin)) {
      addBuiltin(b, readFile(builtin));
    }
    b.source("modules: " + modules + " (kernel/ listed, " + ok + " of " + read.size() + " others read)");
    return b.build();
  }

  static Optional<Path> findSymvers(Sysroot root, String release) {
    for (String p : List.of(Sysroot.bootPath("symvers-" + release + ".gz"), Sysroot.bootPath("symvers-" + release + ".xz"), Sysroot.modulesPath(release, "symvers.gz"), Sysroot.modulesPath(release, "symvers.xz"))) {
      Optional<Path> f = root.resolve(p);
      if (f.isPresent() && Files.isRegularFile(f.get())) {
        return f;
      }
    }
    return Optional.empty();
  }

  /** True when {@code release} under {@code root} has something kmodkit can read its ABI from. */
  public static boolean hasAbiSource(Sysroot root, String release) {
    return findSymvers(root, release).isPresent() || findHeaders(root, release).isPresent() || findImage(root, release).isPresent();
  }

  static Optional<Path> findImage(Sysroot root, String release) {
    for (String p : List.of(Sysroot.bootPath("vmlinuz-" + release), Sysroot.modulesPath(release, "vmlinuz"), Sysroot.bootPath("vmlinux-" + release))) {
      Optional<Path> f = root.resolve(p);
      if (f.isPresent() && Files.isRegularFile(f.get())) {
        return f;
      }
    }
    return Optional.empty();
  }

  static Optional<Path> findHeaders(Sysroot root, String release) {
    for (String p : List.of(Sysroot.modulesPath(release, "build"), "/usr/src/linux-headers-" + release, "/usr/src/kernels/" + release)) {
      Optional<Path> d = root.resolve(p);
      if (d.isPresent() && Files.isRegularFile(d.get().resolve("Module.symvers"))) {
        return d;
      }
    }
    return Optional.empty();
  }

  /** Reads every module of a kernel tree (in parallel) for its exports, vermagic and architecture. */
  public static void addTreeModules(KernelAbi.Builder b, Path modulesDir) throws BadInputException {
    addTreeModules(b, modulesDir, p -> true);
  }

  static void addTreeModules(KernelAbi.Builder b, Path modulesDir, java.util.function.Predicate<String> include) throws BadInputException {
    List<Path> files = ModuleFiles.findInTree(modulesDir).stream().filter(f -> include.test(modulesDir.relativize(f).toString())).toList();
    List<ModuleFiles.Read> reads = ModuleFiles.readAll(files, Path::toString);
    int ok = 0;
    for (ModuleFiles.Read r : reads) {
      if (r.ok()) {
        addTreeModule(b, r.module(), modulesDir.relativize(r.file()).toString());
        ok++;
      }
    }
    Path builtin = modulesDir.resolve("modules.builtin");
    if (Files.isRegularFile(builtin)) {
      addBuiltin(b, readFile(builtin));
    }
    b.source("modules: " + modulesDir + " (" + ok + " of " + files.size() + " read)");
  }

  public static void addTreeModule(KernelAbi.Builder b, ModuleFile m, String path) {
    b.treeModule(m.name(), m.exports(), path);
    b.arch(m.arch());
    if (m.vermagic() != null && !m.vermagic().isEmpty()) {
      b.vermagic(m.vermagic());
    }
  }

  /** Adds symvers data (plain or compressed, by magic). */
  public static void addSymvers(KernelAbi.Builder b, String source, byte[] data) throws BadInputException {
    if (Elf.isElf(data.length >= 4 ? java.util.Arrays.copyOf(data, 4) : data)) {
      throw new BadInputException(source, "is an ELF file, not a symvers file; pass the kernel's Module.symvers or symvers-<release>.gz");
    }
    byte[] plain = Compression.detect(data.length >= 6 ? java.util.Arrays.copyOf(data, 6) : data).decompress(source, data, ExpansionLimit.SYMVERS);
    for (int i = 0; i < Math.min(plain.length, 1 << 16); i++) {
      if (plain[i] == 0) {
        // symvers is text: NUL bytes mean an image or archive of a kind kmodkit does not know
        throw new BadInputException(source, "holds binary data (a NUL byte at offset " + i + "), so it is neither a symvers file nor a kernel image kmodkit reads (x86 bzImage, ELF vmlinux); pass the kernel's Module.symvers or headers package instead");
      }
    }
    b.symbols(Symvers.parse(source, plain));
    b.source("Module.symvers: " + source);
  }

  public static void addConfig(KernelAbi.Builder b, String source, byte[] data) throws BadInputException {
    try (InputStream in = new ByteArrayInputStream(data)) {
      b.config(KernelConfig.parse(in));
      b.source("config: " + source);
    } catch (IOException e) {
      throw new BadInputException(source, "cannot read (" + e.getMessage() + ")");
    }
  }

  public static void releaseFromUtsHeader(KernelAbi.Builder b, byte[] data) {
    Matcher m = UTS_RELEASE.matcher(new String(data, StandardCharsets.UTF_8));
    if (m.find()) {
      b.release(m.group(1));
    }
  }

  /** modules.builtin lists paths like kernel/drivers/foo/bar.ko: record the module names. */
  public static void addBuiltin(KernelAbi.Builder b, byte[] data) {
    for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        b.builtin(ModuleReader.nameFromPath(line.trim()));
      }
    }
  }

  static byte[] readFile(Path file) throws BadInputException {
    return InputFiles.readAll(file, file.toString());
  }
}
