package org.kmodkit.formats;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.core.io.InputFiles;
import org.kmodkit.formats.deb.DebArchive;
import org.kmodkit.formats.rpm.RpmHeaders;

/**
 * Streams the payload of a .deb (ar → data.tar.*) or .rpm (lead, signature and header, then a
 * compressed cpio) entry by entry, in one pass, without unpacking anything to disk.
 */
public final class PackageReader {
  /** What a caller does with each entry; it may read {@code data} (a regular file's bytes) or not. */
  @FunctionalInterface
  public interface Visitor {
    void visit(PackageEntry entry, InputStream data) throws IOException, BadInputException;
  }

  /** Package kinds, recognised by magic. */
  public enum Format {
    DEB,
    RPM
  }

  private static final byte[] AR_MAGIC = "!<arch>\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] RPM_MAGIC = {(byte) 0xed, (byte) 0xab, (byte) 0xee, (byte) 0xdb};

  private PackageReader() {}

  /** The package format of {@code file} by its magic, or null when it is not a package (or not a regular file, which is never opened). */
  public static Format detect(Path file) {
    if (!Files.isRegularFile(file)) {
      return null; // opening a FIFO blocks: InputFiles names it when it is read
    }
    byte[] head = new byte[8];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(head, 0, 8);
      if (n == 8 && Arrays.equals(head, AR_MAGIC)) {
        return Format.DEB;
      }
      if (n >= 4 && Arrays.equals(Arrays.copyOf(head, 4), RPM_MAGIC)) {
        return Format.RPM;
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  /**
   * Visits every payload entry of {@code file}; errors name it. The containers are read by the
   * range-checked readers {@code repo create} uses too ({@link DebArchive}, {@link RpmHeaders}), so
   * a package is truncated or corrupt alike for every command.
   */
  public static void read(Path file, Visitor visitor) throws BadInputException {
    String source = file.toString();
    InputFiles.requireRegular(file, source);
    Format f = detect(file);
    if (f == null) {
      throw new BadInputException(source, "is not a package (neither a .deb ar archive nor an RPM lead); pass a .deb or .rpm file");
    }
    try {
      if (f == Format.DEB) {
        readDeb(file, visitor);
      } else {
        readRpm(file, visitor);
      }
    } catch (ExpansionLimit.Exceeded e) {
      throw new BadInputException(source, "payload " + e.getMessage());
    } catch (EOFException e) {
      throw new BadInputException(source, "is truncated (the archive ends early); re-download it");
    } catch (IOException | IllegalArgumentException e) {
      throw new BadInputException(source, "is a corrupt " + f.name().toLowerCase() + " (" + e.getMessage() + "); re-download it");
    }
  }

  private static void readDeb(Path file, Visitor visitor) throws IOException, BadInputException {
    String source = file.toString();
    boolean[] seen = {false};
    DebArchive.scan(file, (name, size, data) -> {
      if (!name.startsWith("data.tar")) {
        return true;
      }
      seen[0] = true;
      readTar(source, decompressed(data), visitor);
      return false;
    });
    if (!seen[0]) {
      throw new BadInputException(source, "is a .deb without data.tar member; re-download it");
    }
  }

  private static void readTar(String source, InputStream in, Visitor visitor) throws IOException, BadInputException {
    TarArchiveInputStream tar = new TarArchiveInputStream(in);
    TarArchiveEntry t;
    while ((t = tar.getNextEntry()) != null) {
      if (t.isDirectory()) {
        continue;
      }
      String path = normalize(source, t.getName());
      if (t.isSymbolicLink()) {
        visitor.visit(new PackageEntry(path, 0, false, t.getLinkName(), 0777), InputStream.nullInputStream());
      } else if (t.isFile() && !t.isLink()) {
        visitor.visit(new PackageEntry(path, t.getSize(), true, null, t.getMode() & 07777), tar);
      }
    }
  }

  private static void readRpm(Path file, Visitor visitor) throws IOException, BadInputException {
    String source = file.toString();
    RpmHeaders headers = RpmHeaders.readHeaders(file); // lead, signature and header within the file; the size the signature states
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      raw.skipNBytes(headers.headerEnd());
      CpioArchiveInputStream cpio = new CpioArchiveInputStream(decompressed(raw));
      CpioArchiveEntry c;
      while ((c = cpio.getNextEntry()) != null) {
        if (c.isDirectory() || "TRAILER!!!".equals(c.getName())) {
          continue;
        }
        String path = normalize(source, c.getName());
        if (c.isSymbolicLink()) {
          String target = new String(cpio.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
          visitor.visit(new PackageEntry(path, 0, false, target, 0777), InputStream.nullInputStream());
        } else if (c.isRegularFile()) {
          visitor.visit(new PackageEntry(path, c.getSize(), true, null, (int) (c.getMode() & 07777)), cpio);
        }
      }
    }
  }

  /**
   * Wraps {@code in} in the decompressor its magic names (gzip, xz, zstd, bzip2), or none; a
   * payload that expands beyond {@link ExpansionLimit#ARCHIVE} ends in {@link ExpansionLimit.Exceeded}.
   */
  static InputStream decompressed(InputStream in) throws IOException {
    return decompressed(in, ExpansionLimit.ARCHIVE);
  }

  /** As {@link #decompressed(InputStream)}, expanding no further than {@code limit}. */
  static InputStream decompressed(InputStream in, ExpansionLimit limit) throws IOException {
    BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
    b.mark(8);
    byte[] head = b.readNBytes(6);
    b.reset();
    Compression c = Compression.detectArchive(head);
    return c == Compression.NONE ? b : new BufferedInputStream(c.open(b, limit), 1 << 16);
  }

  /**
   * The installed path of an archive member ("./lib/x" → "/lib/x"). A member that would land
   * outside the root is hostile: the whole package is refused.
   */
  static String normalize(String source, String name) throws BadInputException {
    String n = name.startsWith("./") ? name.substring(1) : name.startsWith("/") ? name : "/" + name;
    for (String part : n.split("/")) {
      if (part.equals("..")) {
        throw new BadInputException(source, "has an entry escaping the install root (" + name + "); refusing the whole package");
      }
    }
    return n.replaceAll("/+", "/");
  }
}
