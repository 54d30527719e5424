package org.kmodkit.packaging;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;

/**
 * Unpacks chosen entries of a .deb or .rpm below a directory, as they would be installed there
 * ("/lib/modules/…" lands in {@code dir}/lib/modules/…). For what must exist as files (a kernel
 * image to boot, modules to copy into a VM); everything else reads packages in memory.
 */
public final class PackageExtractor {
  private PackageExtractor() {}

  /**
   * Writes each regular file and symbolic link of {@code pkg} whose installed path {@code keep}
   * accepts; returns the installed paths written. Paths were checked not to escape the root by
   * {@link PackageReader}; link targets are written as they are (read them through a Sysroot).
   */
  public static List<String> extract(Path pkg, Path dir, Predicate<String> keep) throws BadInputException, EnvironmentException {
    List<String> written = new ArrayList<>();
    Path root = dir.toAbsolutePath().normalize();
    try {
      PackageReader.read(pkg, (entry, data) -> write(pkg, root, entry, data, keep, written));
    } catch (UncheckedIOException e) {
      throw new EnvironmentException(root + ": cannot unpack " + pkg + " here (" + e.getCause().getMessage() + "); check free space and permissions");
    }
    return written;
  }

  private static void write(Path pkg, Path root, PackageEntry entry, InputStream data, Predicate<String> keep, List<String> written) throws BadInputException {
    if (!keep.test(entry.path())) {
      return;
    }
    Path target = root.resolve(entry.path().substring(1)).normalize();
    if (!target.startsWith(root)) {
      throw new BadInputException(pkg.toString(), "has an entry escaping the install root (" + entry.path() + "); refusing the whole package");
    }
    // an earlier entry may have made a link where this one's directories go: writing through it
    // would land outside the root (the classic archive link attack), so no parent may be a link
    for (Path p = target.getParent(); p != null && p.startsWith(root) && !p.equals(root); p = p.getParent()) {
      if (Files.isSymbolicLink(p)) {
        throw new BadInputException(pkg.toString(), "has an entry beneath a symbolic link (" + entry.path() + " under " + root.relativize(p) + "); refusing the whole package");
      }
    }
    try {
      Files.createDirectories(target.getParent());
      if (entry.regular()) {
        Files.copy(data, target, StandardCopyOption.REPLACE_EXISTING); // not closed: the archive stream goes on
        written.add(entry.path());
      } else if (entry.linkTarget() != null) {
        Files.deleteIfExists(target);
        Files.createSymbolicLink(target, Path.of(entry.linkTarget()));
        written.add(entry.path());
      }
    } catch (IOException e) {
      // a write failing is this machine's problem, not the package's: keep it apart from read errors
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes {@code dir} and everything below it (a scratch directory kmodkit made). */
  public static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // scratch space under the temp directory: the system cleans it eventually
    }
  }
}
