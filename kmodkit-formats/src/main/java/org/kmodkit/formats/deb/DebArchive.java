package org.kmodkit.formats.deb;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.core.io.InputFiles;

/**
 * Reads a .deb: its ar members (every header range-checked, a truncated file is named), its control
 * paragraph, and the entries of its data.tar. The ar layer is ours rather than commons-compress's
 * so that every size and offset is checked against what the file really holds.
 */
public final class DebArchive {
  static final byte[] MAGIC = "!<arch>\n".getBytes(StandardCharsets.US_ASCII);
  /** A control member larger than this is not a control archive; refuse before inflating it. */
  private static final long MAX_CONTROL = 64L << 20;

  /** What a caller does with one ar member; it may read DATA up to SIZE bytes, or not. */
  public interface MemberVisitor {
    /** Returns false to stop the scan. */
    boolean visit(String name, long size, InputStream data) throws IOException, BadInputException;
  }

  /** One entry of data.tar, its path absolute ("/lib/modules/…"), as dpkg would install it. */
  public record Entry(String path, long size, int mode, boolean directory, boolean symlink, String linkTarget) {}

  private DebArchive() {}

  /** Visits the ar members of FILE in order. */
  public static void scan(Path file, MemberVisitor visitor) throws IOException, BadInputException {
    String source = file.toString();
    InputFiles.requireRegular(file, source);
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      long fileSize = Files.size(file);
      byte[] magic = raw.readNBytes(MAGIC.length);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new BadInputException(source, "is not a .deb (no ar archive magic '!<arch>'); pass a Debian binary package");
      }
      long offset = MAGIC.length;
      while (true) {
        byte[] header = raw.readNBytes(60);
        if (header.length == 0) {
          return;
        }
        if (header.length < 60) {
          throw new BadInputException(source, "is truncated: an ar member header at offset " + offset + " is cut short; re-download or rebuild it");
        }
        if (header[58] != '`' || header[59] != '\n') {
          throw new BadInputException(source, "is corrupt: bad ar member header at offset " + offset + "; re-download or rebuild it");
        }
        String name = new String(header, 0, 16, StandardCharsets.US_ASCII).trim();
        if (name.endsWith("/")) {
          name = name.substring(0, name.length() - 1); // GNU ar ends names with '/'
        }
        String sizeField = new String(header, 48, 10, StandardCharsets.US_ASCII).trim();
        long size;
        try {
          size = Long.parseLong(sizeField);
        } catch (NumberFormatException e) {
          size = -1;
        }
        if (size < 0) {
          throw new BadInputException(source, "is corrupt: ar member '" + name + "' at offset " + offset + " has size '" + sizeField + "'; re-download or rebuild it");
        }
        if (size > fileSize - offset - 60) {
          throw new BadInputException(source, "is truncated: ar member '" + name + "' at offset " + offset + " claims " + size + " bytes, past the end of the "
              + fileSize + "-byte file; re-download or rebuild it");
        }
        Bounded data = new Bounded(raw, size);
        boolean more = visitor.visit(name, size, data);
        if (!more) {
          return;
        }
        data.skipRest(source, name);
        offset += 60 + size;
        if ((size & 1) != 0) {
          raw.read(); // ar pads members to even offsets; a missing pad byte at the very end is harmless
          offset++;
        }
      }
    } catch (NoSuchFileException e) {
      throw new BadInputException(source, "no such file");
    } catch (AccessDeniedException e) {
      throw new BadInputException(source, "cannot be read (permission denied); fix its permissions or run as its owner");
    }
  }

  /** The control paragraph of FILE, as its control file holds it (fields in order, values without the leading space). */
  public static DebControl control(Path file) throws IOException, BadInputException {
    String source = file.toString();
    String[] text = new String[1];
    scan(file, (name, size, data) -> {
      if (!name.startsWith("control.tar")) {
        return true;
      }
      if (size > MAX_CONTROL) {
        throw new BadInputException(source, "member " + name + " is " + size + " bytes, too large for a control archive; the file is not a sane .deb");
      }
      try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(source, name, data, ExpansionLimit.CONTROL))) {
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
          String n = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
          if (n.equals("control") && e.isFile()) {
            text[0] = new String(tar.readAllBytes(), StandardCharsets.UTF_8); // within control.tar's bound
            return false;
          }
        }
      } catch (ExpansionLimit.Exceeded e) {
        throw new BadInputException(source, "member " + name + " " + e.getMessage());
      } catch (IOException e) {
        throw new BadInputException(source, "member " + name + " is corrupt (" + e.getMessage() + "); re-download or rebuild it", e);
      }
      throw new BadInputException(source, "member " + name + " holds no control file; rebuild the package");
    });
    if (text[0] == null) {
      throw new BadInputException(source, "has no control.tar member; it is not a Debian binary package");
    }
    return DebControl.parse(source, text[0]);
  }

  /**
   * The entries of FILE's data.tar. An absolute name or one that climbs out with ".." is refused,
   * naming the entry: dpkg would not install it where it says, and an unpacker must not follow it.
   */
  public static List<Entry> contents(Path file) throws IOException, BadInputException {
    String source = file.toString();
    List<Entry> out = new ArrayList<>();
    boolean[] seen = {false};
    scan(file, (name, size, data) -> {
      if (!name.startsWith("data.tar")) {
        return true;
      }
      seen[0] = true;
      try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(source, name, data, ExpansionLimit.ARCHIVE))) {
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
          out.add(new Entry(safePath(source, e.getName()), e.getSize(), e.getMode() & 07777, e.isDirectory(), e.isSymbolicLink(),
              e.isSymbolicLink() ? e.getLinkName() : null));
        }
      } catch (ExpansionLimit.Exceeded e) {
        throw new BadInputException(source, "member " + name + " " + e.getMessage());
      } catch (IOException e) {
        throw new BadInputException(source, "member " + name + " is corrupt or truncated (" + e.getMessage() + "); re-download or rebuild it", e);
      }
      return false;
    });
    if (!seen[0]) {
      throw new BadInputException(source, "has no data.tar member; it is not a Debian binary package");
    }
    return out;
  }

  static String safePath(String source, String name) throws BadInputException {
    if (name.startsWith("/")) {
      throw new BadInputException(source, "data.tar entry '" + name + "' is absolute; refusing a package that writes outside its root");
    }
    String n = name.startsWith("./") ? name.substring(2) : name;
    if (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    for (String part : n.split("/", -1)) {
      if (part.equals("..")) {
        throw new BadInputException(source, "data.tar entry '" + name + "' climbs out with '..'; refusing a package that writes outside its root");
      }
    }
    return "/" + n;
  }

  /** MEMBER decompressed as its name says (dpkg goes by the name too), stopping at {@code limit}. */
  static InputStream decompressed(String source, String member, InputStream in, ExpansionLimit limit) throws BadInputException {
    Compression c = Compression.ofName(member);
    if (c == null) {
      throw new BadInputException(source, "member " + member + " uses a compression kmodkit does not read (xz, gz, zst, bz2, lzma or none)");
    }
    try {
      return c.open(in, limit);
    } catch (IOException e) {
      throw new BadInputException(source, "member " + member + " is not valid " + c.name().toLowerCase() + " (" + e.getMessage() + "); re-download or rebuild it", e);
    }
  }

  /** Reads every byte of IN (helper for small members). */
  static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toByteArray();
  }

  /** The ar member's bytes: exactly SIZE, and EOF before that means the file is truncated. */
  private static final class Bounded extends FilterInputStream {
    private long left;

    Bounded(InputStream in, long size) {
      super(in);
      this.left = size;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("ar member cut short, " + left + " bytes missing");
      }
      left--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new EOFException("ar member cut short, " + left + " bytes missing");
      }
      left -= n;
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(Math.min(n, left));
      left -= s;
      return s;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), left);
    }

    @Override
    public void close() {
      // the ar stream stays open for the next member
    }

    void skipRest(String source, String name) throws IOException, BadInputException {
      while (left > 0) {
        long s = in.skip(left);
        if (s <= 0) {
          if (in.read() < 0) {
            throw new BadInputException(source, "is truncated: ar member '" + name + "' is cut short by " + left + " bytes; re-download or rebuild it");
          }
          s = 1;
        }
        left -= s;
      }
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }

  /** Fields of a control paragraph in order (helper for DebControl). */
  static Map<String, String> newFields() {
    return new LinkedHashMap<>();
  }
}
