package org.kmodkit.packaging;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;

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

  /** The package format of {@code file} by its magic, or null when it is not a package. */
  public static Format detect(Path file) {
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

  /** Visits every payload entry of {@code file}; errors name it. */
  public static void read(Path file, Visitor visitor) throws BadInputException {
    String source = file.toString();
    Format f = detect(file);
    if (f == null) {
      if (!Files.isRegularFile(file)) {
        throw new BadInputException(source, "no such file; check the path");
      }
      throw new BadInputException(source, "is not a package (neither a .deb ar archive nor an RPM lead); pass a .deb or .rpm file");
    }
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      if (f == Format.DEB) {
        readDeb(source, raw, visitor);
      } else {
        readRpm(source, raw, visitor);
      }
    } catch (ExpansionLimit.Exceeded e) {
      throw new BadInputException(source, "payload " + e.getMessage());
    } catch (EOFException e) {
      throw new BadInputException(source, "is truncated (the archive ends early); re-download it");
    } catch (IOException | IllegalArgumentException e) {
      throw new BadInputException(source, "is a corrupt " + f.name().toLowerCase() + " (" + e.getMessage() + "); re-download it");
    }
  }

  private static void readDeb(String source, InputStream raw, Visitor visitor) throws IOException, BadInputException {
    ArArchiveInputStream ar = new ArArchiveInputStream(raw);
    ArArchiveEntry e;
    while ((e = ar.getNextEntry()) != null) {
      if (e.getName().startsWith("data.tar")) {
        readTar(source, decompressed(ar), visitor);
        return;
      }
    }
    throw new BadInputException(source, "is a .deb without data.tar member; re-download it");
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

  private static void readRpm(String source, InputStream in, Visitor visitor) throws IOException, BadInputException {
    DataInputStream d = new DataInputStream(in);
    d.readFully(new byte[96]); // lead
    skipHeader(source, d, true); // signature header, padded to 8 bytes
    skipHeader(source, d, false); // main header
    CpioArchiveInputStream cpio = new CpioArchiveInputStream(decompressed(d));
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

  private static void skipHeader(String source, DataInputStream d, boolean pad) throws IOException, BadInputException {
    byte[] magic = new byte[8];
    d.readFully(magic);
    if ((magic[0] & 0xff) != 0x8e || (magic[1] & 0xff) != 0xad || (magic[2] & 0xff) != 0xe8) {
      throw new BadInputException(source, "is a corrupt rpm (header magic missing); re-download it");
    }
    long nindex = d.readInt() & 0xffffffffL;
    long hsize = d.readInt() & 0xffffffffL;
    long size = nindex * 16 + hsize;
    if (nindex > 1_000_000 || hsize > (1L << 30)) {
      throw new BadInputException(source, "is a corrupt rpm (header of " + nindex + " entries, " + hsize + " bytes); re-download it");
    }
    if (pad) {
      size += (8 - (size % 8)) % 8;
    }
    d.readNBytes((int) Math.min(size, Integer.MAX_VALUE));
    // readNBytes returns fewer bytes at EOF; the payload read below then fails as truncated
  }

  /**
   * Wraps {@code in} in the decompressor its magic names (gzip, xz, zstd, bzip2), or none; a
   * payload that expands beyond {@link ExpansionLimit#ARCHIVE} ends in {@link ExpansionLimit.Exceeded}.
   */
  static InputStream decompressed(InputStream in) throws IOException {
    BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
    b.mark(8);
    byte[] head = b.readNBytes(6);
    b.reset();
    Compression c = Compression.detectArchive(head);
    return c == Compression.NONE ? b : new BufferedInputStream(c.open(b, ExpansionLimit.ARCHIVE), 1 << 16);
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
