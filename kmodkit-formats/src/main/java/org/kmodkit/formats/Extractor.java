package org.kmodkit.formats;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.core.tree.Sysroot;

/**
 * The one routine that unpacks archives (source tarballs, .deb and .rpm payloads) onto disk, into
 * a directory kmodkit owns and nothing outside it. Every entry is placed by resolving its name
 * against the tree as really unpacked so far (through the links already made, links through
 * links, and {@code ..}); an entry that would land outside, or a link that would lead outside, is
 * refused with the whole archive. Nothing is ever written through a link: files are created anew,
 * and a link standing where a file or link is to go is refused, not followed. The archive is
 * unpacked beside the destination and renamed into place only when all of it was accepted.
 */
public final class Extractor {
  private Extractor() {}

  /** True when {@code file} is a tar archive, plain or gzip/xz/zstd/bzip2-compressed (by magic). */
  public static boolean isTarball(Path file) {
    try (InputStream in = PackageReader.decompressed(new BufferedInputStream(Files.newInputStream(file)))) {
      byte[] head = in.readNBytes(512);
      return head.length == 512 && new String(head, 257, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("ustar");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Unpacks the tarball {@code file} into {@code dest} (which must not exist yet). Absolute names
   * and absolute link targets are refused: a source tree has no business with the host's files.
   */
  public static void untar(Path file, Path dest) throws BadInputException {
    untar(file, dest, ExpansionLimit.ARCHIVE);
  }

  /** As {@link #untar(Path, Path)}, refusing a tarball that decompresses beyond {@code limit}. */
  public static void untar(Path file, Path dest, ExpansionLimit limit) throws BadInputException {
    String source = file.toString();
    Tree tree = new Tree(source, dest);
    try (InputStream raw = Files.newInputStream(file);
        TarArchiveInputStream tar = new TarArchiveInputStream(PackageReader.decompressed(new BufferedInputStream(raw, 1 << 16), limit))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String name = e.getName();
        if (name.startsWith("/")) {
          throw tree.refuse(name, "is an absolute path");
        }
        if (e.isDirectory()) {
          tree.dir(name);
        } else if (e.isSymbolicLink()) {
          if (e.getLinkName().startsWith("/")) {
            throw tree.refuse(name, "is a link to the absolute path " + e.getLinkName());
          }
          tree.symlink(name, e.getLinkName());
        } else if (e.isLink()) {
          tree.hardlink(name, e.getLinkName());
        } else if (e.isFile()) {
          tree.file(name, tar, e.getMode());
        }
        // devices and fifos have no place in a driver source: left out
      }
      tree.commit();
    } catch (BadInputException e) {
      tree.discard();
      throw e;
    } catch (ExpansionLimit.Exceeded e) {
      tree.discard();
      throw new BadInputException(source, e.getMessage());
    } catch (IOException | IllegalArgumentException e) {
      tree.discard();
      throw new BadInputException(source, "is not a readable tarball (" + e.getMessage() + "); pass a .tar, .tar.gz, .tar.xz, .tar.zst or .tar.bz2 of the driver source");
    }
  }

  /**
   * Unpacks the payload entries of {@code packages} whose installed path {@code wanted} accepts
   * into {@code dest} (which must not exist yet), as one system root: an absolute link target means
   * that root (it is written relative, so it means the same wherever the root lies). Returns the
   * installed paths written ("/lib/modules/…").
   */
  public static List<String> unpackPackages(List<Path> packages, Path dest, Predicate<String> wanted) throws BadInputException, EnvironmentException {
    String all = String.join(", ", packages.stream().map(Path::toString).toList());
    Tree tree = new Tree(all, dest);
    List<String> written = new ArrayList<>();
    try {
      for (Path pkg : packages) {
        tree.source = pkg.toString();
        PackageReader.read(pkg, (entry, data) -> {
          if (!wanted.test(entry.path())) {
            return;
          }
          String name = entry.path().substring(1);
          try {
            if (entry.regular()) {
              tree.file(name, data, entry.mode());
            } else if (entry.linkTarget() != null) {
              tree.symlink(name, entry.linkTarget());
            } else {
              return;
            }
          } catch (IOException e) {
            // a write failing is this machine's problem, not the package's: kept apart from read errors
            throw new UncheckedIOException(e);
          }
          written.add(entry.path());
        });
      }
      tree.source = all;
      tree.commit();
      return written;
    } catch (BadInputException e) {
      tree.discard();
      throw e;
    } catch (IOException | UncheckedIOException e) {
      tree.discard();
      throw new EnvironmentException(dest + ": cannot unpack " + all + " here (" + e.getMessage() + "); check free space and permissions");
    }
  }

  /** The directory being filled beside its destination, and the rules that keep every write inside it. */
  private static final class Tree {
    private final Path dest;
    private final Path root;
    private final Sysroot inside;
    private String source;

    Tree(String source, Path dest) throws BadInputException {
      this.source = source;
      this.dest = dest.toAbsolutePath().normalize();
      Path staging = this.dest.resolveSibling("." + this.dest.getFileName() + ".part" + ProcessHandle.current().pid());
      try {
        BuildRunner.deleteTree(staging);
        Files.createDirectories(staging);
        this.root = staging.toRealPath();
      } catch (IOException e) {
        throw new BadInputException(source, "cannot unpack into " + dest + " (" + e.getMessage() + "); check free space and permissions");
      }
      this.inside = new Sysroot(root);
    }

    void dir(String name) throws IOException, BadInputException {
      Files.createDirectories(inside.locate(root, name).orElseThrow(() -> refuse(name, "leads out of the directory")));
    }

    void file(String name, InputStream data, int mode) throws IOException, BadInputException {
      Path p = place(name);
      try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
        data.transferTo(out); // the archive stream itself stays open: it goes on to the next entry
      }
      Files.setPosixFilePermissions(p, permissions(mode));
    }

    /** An absolute {@code target} (packages only) means the root: it is written relative to the link, climbing to the root. */
    void symlink(String name, String target) throws IOException, BadInputException {
      Path p = place(name);
      Path dir = root.relativize(p.getParent());
      String t = target.startsWith("/") ? "../".repeat(dir.toString().isEmpty() ? 0 : dir.getNameCount()) + target.replaceFirst("^/+", "") : target;
      if (inside.locate(p.getParent(), t).isEmpty()) {
        throw refuse(name, "is a link leading out of the directory (" + target + ")");
      }
      Files.createSymbolicLink(p, Path.of(t.isEmpty() ? "." : t));
    }

    /** A tar hard link names its target from the top of the archive; a copy is made of it. */
    void hardlink(String name, String target) throws IOException, BadInputException {
      Path from = inside.locate(root, target).filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
          .orElseThrow(() -> refuse(name, "is a hard link to " + target + ", which is no file unpacked before it inside the directory"));
      Files.copy(from, place(name), StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Where entry {@code name} goes: its directory resolved through the tree (made when missing),
     * and its own name, at which nothing but an earlier file of the same name may stand.
     */
    private Path place(String name) throws IOException, BadInputException {
      String n = name.replaceAll("/+$", "");
      int slash = n.lastIndexOf('/');
      String last = n.substring(slash + 1);
      if (last.isEmpty() || last.equals(".") || last.equals("..")) {
        throw refuse(name, "names no file");
      }
      Path dir = inside.locate(root, slash < 0 ? "" : n.substring(0, slash)).orElseThrow(() -> refuse(name, "leads out of the directory"));
      Files.createDirectories(dir);
      Path p = dir.resolve(last);
      if (Files.isSymbolicLink(p)) {
        throw refuse(name, "would replace the link " + root.relativize(p) + " (a link is never replaced nor written through)");
      }
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        throw refuse(name, "would replace the directory " + root.relativize(p));
      }
      Files.deleteIfExists(p); // an earlier file of the same name: the later entry wins, as with tar
      return p;
    }

    /**
     * Renames the accepted tree into place. No link needs checking again: a link is checked when
     * made, nothing ever replaces a link or a directory, and a link may pass through a part that is
     * not there yet only by name (never {@code ..}), so what lands there later cannot lead it out.
     */
    void commit() throws IOException {
      Files.move(root, dest, StandardCopyOption.ATOMIC_MOVE);
    }

    BadInputException refuse(String entry, String why) {
      return new BadInputException(source, "entry '" + entry + "' " + why + ": refusing the whole archive (nothing was unpacked); ask its maker for one without it");
    }

    void discard() {
      try {
        BuildRunner.deleteTree(root);
      } catch (IOException e) {
        // what is left lies beside the destination, in kmodkit's own work directory
      }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
      Set<PosixFilePermission> s = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
      PosixFilePermission[] bits = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
      };
      for (int i = 0; i < bits.length; i++) {
        if ((mode & (1 << i)) != 0) {
          s.add(bits[i]);
        }
      }
      return s;
    }
  }
}
