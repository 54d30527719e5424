package org.kmodkit.cli.input;

import org.kmodkit.formats.Extractor;
import org.kmodkit.formats.PackageReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.build.BuildRunner;
import org.kmodkit.core.build.DriverSource;
import org.kmodkit.core.io.InputFiles;
import org.kmodkit.formats.rpm.RpmHeaders;

/**
 * SRC arguments of {@code kmodkit rebuild} as driver sources: a source directory is used where it
 * lies (never written); a tarball, a Debian *-dkms package or a source RPM is unpacked into the
 * work directory.
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
      throw new BadInputException(arg, "no such file or directory; pass a driver source directory, a tarball of one, a Debian *-dkms package or a source RPM");
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
      return srpm(p, arg, dest);
    }
    if (Extractor.isTarball(p)) {
      Extractor.untar(p, dest);
      return DriverSource.of(top(dest, p), arg);
    }
    throw new BadInputException(arg, "is neither a directory, a tarball, a .deb nor a .src.rpm; pass a driver source directory, a tarball of one, a Debian *-dkms package or a source RPM");
  }

  /**
   * A source RPM, unpacked as {@code rpm -i} lays one out for rpmbuild (its .spec and sources in
   * SOURCES/) through the confined extractor, never by rpm; its one .spec is what rpmbuild builds.
   * Whatever is refused leaves nothing behind.
   */
  static DriverSource srpm(Path p, String arg, Path dest) throws BadInputException, EnvironmentException {
    RpmHeaders h = RpmHeaders.readHeaders(p);
    if (!h.sourceRpm().isEmpty()) {
      throw new BadInputException(arg, "is a binary RPM (built from " + h.sourceRpm() + "); pass that source RPM, a *-dkms .deb, a tarball or the driver's source directory");
    }
    try {
      Path sources = dest.resolve("SOURCES");
      Extractor.unpackPackages(List.of(p), sources, path -> true);
      List<Path> specs = list(sources, f -> f.getFileName().toString().endsWith(".spec") && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS));
      if (specs.isEmpty()) {
        throw new BadInputException(arg, "holds no .spec file; it is no source RPM rpmbuild can rebuild: pass the driver's .src.rpm");
      }
      if (specs.size() > 1) {
        throw new BadInputException(arg, "holds " + specs.size() + " .spec files (" + String.join(", ", specs.stream().map(f -> f.getFileName().toString()).toList())
            + "); rpmbuild --rebuild takes one: unpack it and rebuild the spec you mean from a directory of its own");
      }
      return DriverSource.srpm(dest, "SOURCES/" + specs.get(0).getFileName(), h.name(), h.version(), arg);
    } catch (BadInputException | EnvironmentException | RuntimeException e) {
      try {
        BuildRunner.deleteTree(dest);
      } catch (IOException ignored) {
        // left in kmodkit's own work directory, which a run without failures removes
      }
      throw e;
    }
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

  static List<Path> list(Path dir, java.util.function.Predicate<Path> keep) throws BadInputException {
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
