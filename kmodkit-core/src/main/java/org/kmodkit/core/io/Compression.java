package org.kmodkit.core.io;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.kmodkit.core.BadInputException;
import org.tukaani.xz.XZInputStream;

/**
 * The compressions kernel modules and package payloads use, recognised by their magic bytes (not
 * by file name: a renamed file is still judged by what it holds).
 */
public enum Compression {
  NONE(""),
  GZIP(".gz"),
  XZ(".xz"),
  ZSTD(".zst");

  /** Decompressed data beyond this many bytes is refused: a decompression bomb, not a module. */
  public static final long DEFAULT_LIMIT = 1L << 30;

  private final String suffix;

  Compression(String suffix) {
    this.suffix = suffix;
  }

  public String suffix() {
    return suffix;
  }

  /** The compression whose magic starts {@code head}, or NONE. */
  public static Compression detect(byte[] head) {
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (head.length >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X' && head[4] == 'Z' && head[5] == 0) {
      return XZ;
    }
    if (head.length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    return NONE;
  }

  /** A stream that decompresses {@code in} (which must start with this compression's magic). */
  public InputStream open(InputStream in) throws IOException {
    switch (this) {
      case GZIP:
        return new GZIPInputStream(in, 65536);
      case XZ:
        return new XZInputStream(in);
      case ZSTD:
        return new ZstdInputStream(in);
      default:
        return in;
    }
  }

  /**
   * Decompresses all of {@code data}; {@code source} names the input in errors. Output larger than
   * {@code limit} bytes is refused.
   */
  public byte[] decompress(String source, byte[] data, long limit) throws BadInputException {
    if (this == NONE) {
      return data;
    }
    try (InputStream in = open(new ByteArrayInputStream(data))) {
      return readAll(source, in, limit, Math.max(data.length * 4, 8192));
    } catch (IOException | RuntimeException e) {
      throw new BadInputException(source, "corrupt " + name().toLowerCase() + " data (" + oneLine(e) + "); re-download or re-compress the file");
    }
  }

  /** Reads {@code in} to the end, refusing more than {@code limit} bytes. */
  public static byte[] readAll(String source, InputStream in, long limit, int sizeHint) throws IOException, BadInputException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(sizeHint, 1024));
    byte[] chunk = new byte[65536];
    long total = 0;
    for (int n; (n = in.read(chunk)) > 0; ) {
      total += n;
      if (total > limit) {
        throw new BadInputException(source, "decompresses to more than " + limit + " bytes; refusing it as a decompression bomb");
      }
      out.write(chunk, 0, n);
    }
    return out.toByteArray();
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replace('\n', ' ');
  }
}
