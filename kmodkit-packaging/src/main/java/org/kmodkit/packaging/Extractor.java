package org.kmodkit.packaging;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.io.ExpansionLimit;

/**
 * Unpacks tarballs and package payloads into a directory kmodkit owns, writing nothing outside
 * it: entries with {@code ..}, absolute names (tarballs), links whose target leaves the directory,
 * and entries that would be written through a link are refused, and the whole unpacking with them.
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
   * Unpacks the tarball {@code file} into {@code dest} (which must not exist yet). Nothing is
   * left in {@code dest} when the tarball is refused.
   */
  public static void untar(Path file, Path dest) throws BadInputException {
    String source = file.toString();
    Tree tree = new Tree(source, dest, false);
    try (InputStream raw = Files.newInputStream(file);
        TarArchiveInputStream tar = new TarArchiveInputStream(PackageReader.decompressed(new BufferedInputStream(raw, 1 << 16)))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String name = e.getName();
        if (e.isDirectory()) {
          tree.dir(name);
        } else if (e.isSymbolicLink()) {
          tree.symlink(name, e.getLinkName());
        } else if (e.isLink()) {
          tree.hardlink(name, e.getLinkName());
        } else if (e.isFile()) {
          tree.file(name, tar, e.getMode());
        }
        // devices and fifos have no place in a driver source: left out
      }
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
   * Unpacks the payload entries of package {@code pkg} whose installed path {@code wanted} accepts
   * into {@code dest}, as a system root: absolute link targets are kept inside it (made relative).
   */
  public static void unpackPackage(Path pkg, Path dest, Predicate<String> wanted) throws BadInputException {
    Tree tree = new Tree(pkg.toString(), dest, true);
    try {
      PackageReader.read(pkg, (entry, data) -> {
        if (!wanted.test(entry.path())) {
          return;
        }
        String name = entry.path().substring(1);
        if (entry.regular()) {
          tree.file(name, data, entry.mode());
        } else if (entry.linkTarget() != null) {
          tree.symlink(name, entry.linkTarget());
        }
      });
    } catch (BadInputException e) {
      tree.discard();
      throw e;
    }
  }

  /** The directory being filled, and the rules that keep every write inside it. */
  private static final class Tree {
    private final String source;
    private final Path root;
    private final boolean systemRoot;

    Tree(String source, Path root, boolean systemRoot) throws BadInputException {
      this.source = source;
      this.root = root.toAbsolutePath().normalize();
      this.systemRoot = systemRoot;
      try {
        Files.createDirectories(this.root);
      } catch (IOException e) {
        throw new BadInputException(source, "cannot unpack into " + root + " (" + e.getMessage() + "); check free space and permissions");
      }
    }

    /** Where entry {@code name} goes; refuses names that leave the root or pass through a link. */
    Path target(String name) throws BadInputException {
      String n = name;
      while (n.startsWith("./")) {
        n = n.substring(2);
      }
      if (n.startsWith("/")) {
        throw refuse(name, "is an absolute path");
      }
      Path p = root;
      String[] parts = Arrays.stream(n.split("/")).filter(s -> !s.isEmpty() && !s.equals(".")).toArray(String[]::new);
      if (parts.length == 0) {
        return root;
      }
      for (int i = 0; i < parts.length; i++) {
        if (parts[i].equals("..")) {
          throw refuse(name, "climbs out with '..'");
        }
        p = p.resolve(parts[i]);
        if (i < parts.length - 1 && Files.isSymbolicLink(p)) {
          throw refuse(name, "would be written through the link " + root.relativize(p));
        }
      }
      return p;
    }

    void dir(String name) throws IOException, BadInputException {
      Path p = target(name);
      if (Files.isSymbolicLink(p)) {
        throw refuse(name, "is a directory over a link");
      }
      Files.createDirectories(p);
    }

    void file(String name, InputStream data, int mode) throws IOException, BadInputException {
      Path p = target(name);
      Files.createDirectories(p.getParent());
      Files.deleteIfExists(p); // a link there is replaced, never written through
      Files.copy(data, p);
      Files.setPosixFilePermissions(p, permissions(mode));
    }

    void symlink(String name, String target) throws IOException, BadInputException {
      Path p = target(name);
      Path t;
      if (target.startsWith("/")) {
        if (!systemRoot) {
          throw refuse(name, "is a link to the absolute path " + target);
        }
        Path inside = root.resolve(target.substring(1)).normalize();
        if (!inside.startsWith(root)) {
          throw refuse(name, "is a link leaving the root (" + target + ")");
        }
        t = p.getParent().relativize(inside);
      } else {
        t = Path.of(target);
        if (!p.getParent().resolve(t).normalize().startsWith(root)) {
          throw refuse(name, "is a link leaving the directory (" + target + ")");
        }
      }
      Files.createDirectories(p.getParent());
      Files.deleteIfExists(p);
      Files.createSymbolicLink(p, t);
    }

    void hardlink(String name, String target) throws IOException, BadInputException {
      Path from = target(target);
      if (!Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) {
        throw refuse(name, "is a hard link to " + target + ", which is not a file unpacked before it");
      }
      Path p = target(name);
      Files.createDirectories(p.getParent());
      Files.copy(from, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    }

    BadInputException refuse(String entry, String why) {
      return new BadInputException(source, "entry '" + entry + "' " + why + ": refusing the whole archive (nothing was written outside " + root + ")");
    }

    void discard() {
      try {
        BuildRunner.deleteTree(root);
      } catch (IOException e) {
        // what is left lies inside our own work directory
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
