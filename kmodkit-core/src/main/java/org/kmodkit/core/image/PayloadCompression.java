package org.kmodkit.core.image;

import io.airlift.compress.lzo.LzoDecompressor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.Adler32;
import java.util.zip.CRC32;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.CorruptFileException;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;

/**
 * The compressions a kernel build may use for vmlinux inside a bzImage, recognised by magic, each
 * decompressed in-process. All but gzip carry a 4-byte little-endian uncompressed size at the end
 * (the build's size_append), which sizes the output exactly.
 */
public enum PayloadCompression {
  GZIP,
  XZ,
  ZSTD,
  LZMA,
  BZIP2,
  LZO,
  LZ4,
  /** Not compressed: the payload is the ELF itself (a plain vmlinux). */
  NONE;

  static final int LZ4_LEGACY_MAGIC = 0x184c2102;
  /** lzop's block size, the largest block the kernel's unlzo accepts. */
  private static final int LZOP_BLOCK = 256 << 10;
  private static final byte[] LZOP_MAGIC = {(byte) 0x89, 'L', 'Z', 'O', 0, '\r', '\n', 0x1a, '\n'};

  /** The compression whose magic starts {@code b} at {@code at}, or null. */
  public static PayloadCompression detect(byte[] b, int at) {
    int n = b.length - at;
    if (n >= 4 && b[at] == 0x7f && b[at + 1] == 'E' && b[at + 2] == 'L' && b[at + 3] == 'F') {
      return NONE;
    }
    if (n >= 2 && (b[at] & 0xff) == 0x1f && (b[at + 1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (n >= 6 && (b[at] & 0xff) == 0xfd && b[at + 1] == '7' && b[at + 2] == 'z' && b[at + 3] == 'X' && b[at + 4] == 'Z' && b[at + 5] == 0) {
      return XZ;
    }
    if (n >= 4 && (b[at] & 0xff) == 0x28 && (b[at + 1] & 0xff) == 0xb5 && (b[at + 2] & 0xff) == 0x2f && (b[at + 3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    if (n >= 4 && ByteBuffer.wrap(b, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() == LZ4_LEGACY_MAGIC) {
      return LZ4;
    }
    if (n >= 3 && b[at] == 'B' && b[at + 1] == 'Z' && b[at + 2] == 'h') {
      return BZIP2;
    }
    if (n >= 9 && java.util.Arrays.equals(b, at, at + 9, LZOP_MAGIC, 0, 9)) {
      return LZO;
    }
    if (n >= 3 && b[at] == 0x5d && b[at + 1] == 0 && b[at + 2] == 0) {
      return LZMA;
    }
    return null;
  }

  /** The shared decoder of the stream compressions (LZ4 and LZO, block formats, are read here). */
  private Compression codec() {
    return switch (this) {
      case GZIP -> Compression.GZIP;
      case XZ -> Compression.XZ;
      case ZSTD -> Compression.ZSTD;
      case LZMA -> Compression.LZMA;
      case BZIP2 -> Compression.BZIP2;
      case NONE -> Compression.NONE;
      case LZO, LZ4 -> throw new IllegalStateException(label() + " is a block format, read by its own code");
    };
  }

  public String label() {
    return name().toLowerCase();
  }

  /** Decompresses {@code payload[off, off+len)}; errors name {@code source}. */
  byte[] decompress(String source, byte[] payload, int off, int len) throws BadInputException {
    try {
      switch (this) {
        case NONE:
          return java.util.Arrays.copyOfRange(payload, off, off + len);
        case GZIP:
          return Compression.GZIP.decompress(source, java.util.Arrays.copyOfRange(payload, off, off + len), ExpansionLimit.KERNEL_IMAGE);
        case LZ4: {
          Lz4LegacyRanges r = new Lz4LegacyRanges(source, payload, off, len - 4, sizeTrailer(source, payload, off, len));
          return r.read(0, r.size(), ByteOrder.LITTLE_ENDIAN, "lz4 payload").toArray();
        }
        case LZO:
          return lzop(source, payload, off, len - 4, sizeTrailer(source, payload, off, len));
        default:
          break;
      }
      int size = sizeTrailer(source, payload, off, len);
      InputStream in = new ByteArrayInputStream(payload, off, len - 4);
      try (InputStream s = codec().open(in, ExpansionLimit.KERNEL_IMAGE)) {
        byte[] out = readUpTo(s, size, len);
        if (out.length != size) {
          throw new BadInputException(source, label() + " payload ends after " + out.length + " of " + size + " bytes; the image is truncated or corrupt");
        }
        return out;
      }
    } catch (IOException | RuntimeException e) {
      throw new BadInputException(source, "decompressing the " + label() + " payload failed (" + e.getMessage() + "); the image is corrupt or truncated");
    }
  }

  /**
   * At most {@code size} bytes of {@code in}, in a buffer that grows with what really decompresses:
   * {@code size} is the payload trailer's claim, four bytes of the file, and allocating it up front
   * let a few KiB of input take 1 GiB of memory.
   */
  private static byte[] readUpTo(InputStream in, int size, int compressedLength) throws IOException {
    byte[] out = new byte[(int) Math.min(size, Math.max(1 << 16, 4L * compressedLength))];
    int n = 0;
    while (n < size) {
      if (n == out.length) {
        out = java.util.Arrays.copyOf(out, (int) Math.min(size, 2L * out.length));
      }
      int r = in.read(out, n, out.length - n);
      if (r < 0) {
        return java.util.Arrays.copyOf(out, n);
      }
      n += r;
    }
    return out;
  }

  private static int sizeTrailer(String source, byte[] b, int off, int len) throws BadInputException {
    if (len < 8) {
      throw new CorruptFileException(source, off, "compressed payload of " + len + " bytes is too short to hold data and its size trailer");
    }
    long size = ByteBuffer.wrap(b, off + len - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
    if (size == 0) {
      throw new CorruptFileException(source, off + len - 4, "payload size trailer declares an uncompressed size of 0 bytes");
    }
    if (size > ExpansionLimit.KERNEL_IMAGE.bytes()) {
      throw new CorruptFileException(source, off + len - 4, "payload size trailer declares " + size + " bytes, so it " + ExpansionLimit.KERNEL_IMAGE.refusal());
    }
    return (int) size;
  }

  /** lzop container (as the kernel's unlzo reads it): header, then [u32 BE out][u32 BE in][checksums][data] blocks. */
  private static byte[] lzop(String source, byte[] b, int off, int len, int size) throws BadInputException {
    ByteBuffer in = ByteBuffer.wrap(b, off, len).order(ByteOrder.BIG_ENDIAN);
    in.position(off + LZOP_MAGIC.length);
    int version = in.getShort() & 0xffff;
    in.getShort(); // library version
    if (version >= 0x0940) {
      in.getShort(); // version needed to extract
    }
    in.get(); // method
    if (version >= 0x0940) {
      in.get(); // level
    }
    int flags = in.getInt();
    if ((flags & 0x800) != 0) {
      in.getInt(); // filter
    }
    in.getInt(); // mode
    in.getInt(); // mtime low
    if (version >= 0x0940) {
      in.getInt(); // mtime high
    }
    int nameLen = in.get() & 0xff;
    in.position(in.position() + nameLen + 4); // name, header checksum
    // grown block by block, as for the other compressions: size is the trailer's claim
    byte[] out = new byte[(int) Math.min(size, Math.max(1 << 16, 4L * len))];
    int produced = 0;
    LzoDecompressor lzo = new LzoDecompressor();
    while (true) {
      int dst = in.getInt();
      if (dst == 0) {
        break;
      }
      int src = in.getInt();
      int srcChecksums = ((flags & 0x2) != 0 ? 1 : 0) + ((flags & 0x200) != 0 ? 1 : 0);
      Integer adler = null;
      if ((flags & 0x1) != 0) {
        adler = in.getInt();
      }
      Integer crc = null;
      if ((flags & 0x100) != 0) {
        crc = in.getInt();
      }
      if (src < dst) {
        in.position(in.position() + 4 * srcChecksums);
      }
      if (dst < 0 || src < 0 || src > dst || src > off + len - in.position() || dst > size - produced) { // no sums of u32s: they overflow int
        throw new BadInputException(source, "lzo block (" + src + " → " + dst + " bytes) overruns the payload; the image is truncated or corrupt");
      }
      if (dst > LZOP_BLOCK) {
        // the kernel's unlzo refuses these too ("dest len longer than block size")
        throw new BadInputException(source, "lzo block of " + dst + " bytes is larger than lzop's " + LZOP_BLOCK + "-byte blocks; the image is corrupt");
      }
      if (produced + dst > out.length) {
        out = java.util.Arrays.copyOf(out, (int) Math.min(size, Math.max(2L * out.length, produced + dst)));
      }
      if (src == dst) {
        System.arraycopy(b, in.position(), out, produced, dst);
      } else {
        int n = lzo.decompress(b, in.position(), src, out, produced, dst);
        if (n != dst) {
          throw new BadInputException(source, "lzo block decompressed to " + n + " bytes, expected " + dst);
        }
      }
      if (adler != null) {
        Adler32 a = new Adler32();
        a.update(out, produced, dst);
        if ((int) a.getValue() != adler) {
          throw new BadInputException(source, "lzo block checksum mismatch; the image is corrupt");
        }
      }
      if (crc != null) {
        CRC32 c = new CRC32();
        c.update(out, produced, dst);
        if ((int) c.getValue() != crc) {
          throw new BadInputException(source, "lzo block checksum mismatch; the image is corrupt");
        }
      }
      produced += dst;
      in.position(in.position() + src);
    }
    return checkSize(source, "lzo", out, produced, size);
  }

  private static byte[] checkSize(String source, String what, byte[] out, int produced, int size) throws BadInputException {
    if (produced != size) {
      throw new BadInputException(source, what + " payload gave " + produced + " bytes, its trailer says " + size + "; the image is truncated or corrupt");
    }
    return out;
  }
}
