package org.kmodkit.core.tree;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;

/** Finding module files in directories and reading many of them in parallel. */
public final class ModuleFiles {
  private ModuleFiles() {}

  /** One read: the module, or why it could not be read. */
  public record Read(Path file, ModuleFile module, BadInputException error) {
    public boolean ok() {
      return module != null;
    }
  }

  /** True for the names modprobe loads: .ko, .ko.xz, .ko.zst, .ko.gz. */
  public static boolean isModuleFileName(String name) {
    return name.endsWith(".ko") || name.endsWith(".ko.xz") || name.endsWith(".ko.zst") || name.endsWith(".ko.gz");
  }

  /** Module files under {@code dir}, recursively, sorted by path (links to files included). */
  public static List<Path> find(Path dir) throws BadInputException {
    return find(dir, Set.of());
  }

  /**
   * The module files of an installed kernel tree ({@code lib/modules/<release>}) as depmod finds
   * them: links followed, except into a directory named {@code build} or {@code source} at any
   * depth — the links to the kernel's headers or sources, which hold no installed module and
   * thousands of other files (and, as absolute links under a --root, lead out of the image).
   */
  public static List<Path> findInTree(Path tree) throws BadInputException {
    return findInTree(tree, Set.of());
  }

  /** As {@link #findInTree(Path)}, leaving out too every entry named as depmod.d's {@code exclude} lines name one. */
  public static List<Path> findInTree(Path tree, Set<String> excluded) throws BadInputException {
    Set<String> skip = new HashSet<>(excluded);
    skip.add("build");
    skip.add("source");
    return find(tree, skip);
  }

  private static List<Path> find(Path dir, Set<String> skip) throws BadInputException {
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir.toString(), "is not a directory");
    }
    List<Path> out = new ArrayList<>();
    try {
      // one walk with the attributes the walk already has: no extra stat per file
      Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
          String name = d.equals(dir) ? "" : d.getFileName().toString();
          return skip.contains(name) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          // a pipe or device named like a module is listed too: reading it refuses it by name
          // ("not a regular file") rather than leaving it out unsaid
          String name = file.getFileName().toString();
          if ((attrs.isRegularFile() || attrs.isOther()) && isModuleFileName(name) && !skip.contains(name)) {
            out.add(file);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE; // a dangling link or unreadable entry: not a module we can judge
        }
      });
    } catch (IOException | UncheckedIOException e) {
      throw new BadInputException(dir.toString(), "cannot list (" + e.getMessage() + ")");
    }
    out.sort(null);
    return out;
  }

  /** Reads {@code files} in parallel, in order; {@code naming} gives each its display name. */
  public static List<Read> readAll(List<Path> files, Function<Path, String> naming) {
    ModuleReader.Batch batch = new ModuleReader.Batch();
    return files.parallelStream().map(f -> {
      String source = naming.apply(f);
      return guarded(f, source, () -> batch.read(f, source));
    }).toList();
  }

  public static Read read(Path file, String source) {
    return guarded(file, source, () -> ModuleReader.read(file, source));
  }

  /** Parses module bytes from memory (a package entry); {@code file} is its path in the package. */
  public static Read parse(Path file, String source, byte[] bytes) {
    return guarded(file, source, () -> ModuleReader.parse(source, bytes));
  }

  interface Parse {
    ModuleFile get() throws BadInputException;
  }

  /**
   * Runs one read so that whatever goes wrong is that file's failure: the other inputs are still
   * judged, and no exception or Error leaves a reader thread to end the run as a verdict.
   */
  static Read guarded(Path file, String source, Parse parse) {
    try {
      return new Read(file, parse.get(), null);
    } catch (BadInputException e) {
      return new Read(file, null, e);
    } catch (OutOfMemoryError e) {
      // reads are bounded and share a budget; if the heap still ran out, it is too small for this file
      long heap = Runtime.getRuntime().maxMemory() >> 20;
      return new Read(file, null, new BadInputException(source, "ran out of memory reading it (" + heap + " MiB of heap); run kmodkit with a larger heap, e.g. KMODKIT_JAVA_OPTS=-Xmx" + Math.max(2, 2 * (heap >> 10) + 2) + "g"));
    } catch (RuntimeException | Error e) {
      // a parser bug must not take the other inputs down with it; report it against the file
      return new Read(file, null, new BadInputException(source, "unreadable (" + e + "); please report this as a kmodkit bug"));
    }
  }
}
