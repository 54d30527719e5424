package org.kmodkit.formats;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.io.OutputFiles;

/**
 * A directory as a .tgz whose single top directory is the directory's name, symlinks kept as
 * symlinks (a repository's {@code repodata} link), owners root:root, written to a temporary name
 * and renamed: an interrupted run leaves no half tarball.
 */
public final class Tarball {
  private Tarball() {}

  /** Writes DIR into TGZ, leaving out entries (relative paths) in SKIP; what the machine refuses names the file. */
  public static void write(Path dir, Path tgz, Set<String> skip) throws BadInputException, EnvironmentException {
    OutputFiles.under(tgz.toAbsolutePath().getParent(), () -> {
      tar(dir, tgz, skip);
      return tgz;
    });
  }

  private static void tar(Path dir, Path tgz, Set<String> skip) throws IOException {
    Path tmp = tgz.resolveSibling("." + tgz.getFileName() + ".tmp");
    String top = dir.getFileName().toString();
    List<Path> entries;
    try (Stream<Path> s = Files.walk(dir)) {
      entries = s.filter(p -> !skipped(dir.relativize(p), skip)).sorted().toList();
    }
    try (OutputStream raw = Files.newOutputStream(tmp);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(raw))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (Path p : entries) {
        String rel = dir.relativize(p).toString();
        String name = rel.isEmpty() ? top + "/" : top + "/" + rel;
        TarArchiveEntry e;
        boolean regular = false;
        if (Files.isSymbolicLink(p)) {
          e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
          e.setLinkName(Files.readSymbolicLink(p).toString());
          e.setMode(0120777);
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
          e.setMode(040755);
        } else {
          e = new TarArchiveEntry(name);
          regular = true;
          e.setSize(Files.size(p));
          e.setMode(0100000 | (Files.getPosixFilePermissions(p).contains(PosixFilePermission.OWNER_EXECUTE) ? 0755 : 0644));
        }
        e.setModTime(Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis());
        e.setUserName("root");
        e.setGroupName("root");
        tar.putArchiveEntry(e);
        if (regular) {  // TarArchiveEntry.isFile() is true for symlinks too
          Files.copy(p, tar);
        }
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, tgz, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static boolean skipped(Path rel, Set<String> skip) {
    return rel.getNameCount() > 0 && skip.contains(rel.getName(0).toString());
  }
}
