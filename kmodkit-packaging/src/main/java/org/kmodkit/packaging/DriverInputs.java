package org.kmodkit.packaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.build.DriverSource;
import org.kmodkit.core.io.InputFiles;

/**
 * SRC arguments of {@code kmodkit rebuild} as driver sources: a source directory is used where it
 * lies (never written); a tarball or a Debian *-dkms package is unpacked into the work directory.
 */
public final class DriverInputs {
  private DriverInputs() {}

  /** The driver {@code arg} names; archives are unpacked under {@code work}/sources. */
  public static DriverSource source(String arg, Path work) throws BadInputException, EnvironmentException {
    Path p = Path.of(arg);
    if (Files.isDirectory(p)) {
      return DriverSource.of(p.toAbsolutePath().normalize(), arg);
    }
    if (!Files.exists(p)) {
      throw new BadInputException(arg, "no such file or directory; pass a driver source directory, a tarball of one, or a Debian *-dkms package");
    }
    InputFiles.requireRegular(p, arg);
    Path dest = unpackDir(work, p);
    PackageReader.Format format = PackageReader.detect(p);
    if (format == PackageReader.Format.DEB) {
      Extractor.unpackPackages(List.of(p), dest, path -> path.startsWith("/usr/src/"));
      List<Path> confs = list(dest.resolve("usr/src"), d -> Files.isRegularFile(d.resolve("dkms.conf")));
      if (confs.isEmpty()) {
        throw new BadInputException(arg, "is not a *-dkms package: no /usr/src/<name>-<version>/dkms.conf inside; pass the driver's -dkms package or its source");
      }
      if (confs.size() > 1) {
        throw new BadInputException(arg, "holds " + confs.size() + " DKMS trees under /usr/src; unpack it and name the one to build");
      }
      return DriverSource.of(confs.get(0), arg);
    }
    if (format == PackageReader.Format.RPM) {
      throw new BadInputException(arg, "is an RPM: driver sources in RPMs are not supported; pass the source directory or a tarball of it");
    }
    if (Extractor.isTarball(p)) {
      Extractor.untar(p, dest);
      return DriverSource.of(top(dest, p), arg);
    }
    throw new BadInputException(arg, "is neither a directory, a tarball, nor a .deb; pass a driver source directory, a tarball of one, or a Debian *-dkms package");
  }

  /** The source tree of an unpacked tarball: the directory itself, or its only subdirectory. */
  static Path top(Path dest, Path tarball) throws BadInputException {
    if (isSourceTree(dest)) {
      return dest;
    }
    List<Path> entries = list(dest, p -> true);
    if (entries.size() == 1 && Files.isDirectory(entries.get(0)) && !Files.isSymbolicLink(entries.get(0))) {
      return entries.get(0);
    }
    throw new BadInputException(tarball.toString(), "holds no driver source at its top (no dkms.conf, Kbuild or Makefile, and not one single directory); pack the driver's source directory");
  }

  static boolean isSourceTree(Path d) {
    return Files.isRegularFile(d.resolve("dkms.conf")) || Files.isRegularFile(d.resolve("Kbuild")) || Files.isRegularFile(d.resolve("Makefile"));
  }

  private static Path unpackDir(Path work, Path archive) throws BadInputException {
    String name = archive.getFileName().toString().replaceAll("[^A-Za-z0-9._+~-]", "_");
    Path sources = work.resolve("sources");
    for (int i = 0; ; i++) {
      Path d = sources.resolve(i == 0 ? name : name + "." + i);
      if (!Files.exists(d)) {
        return d;
      }
    }
  }

  private static List<Path> list(Path dir, java.util.function.Predicate<Path> keep) throws BadInputException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(keep).sorted().toList();
    } catch (IOException | UncheckedIOException e) {
      throw new BadInputException(dir.toString(), "cannot list (" + e.getMessage() + ")");
    }
  }
}
