package org.kmodkit.testkit;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Decompression bombs: many zeros compressed to a few KiB, written as a stream so that making one
 * costs the test no more memory than the bomb itself.
 */
public final class Bombs {
  private Bombs() {}

  /** {@code zeros} zero bytes compressed with {@code how} ("gzip", "xz" or "zstd"). */
  public static byte[] zeros(String how, long zeros) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream c = compressor(how, out)) {
      writeZeros(c, zeros);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Writes {@code count} module bombs {@code bomb0.ko.zst}… into {@code dir}, each {@code zeros} zeros. */
  public static void modules(Path dir, int count, long zeros) throws IOException {
    byte[] bomb = zeros("zstd", zeros);
    for (int i = 0; i < count; i++) {
      Files.write(dir.resolve("bomb" + i + ".ko.zst"), bomb);
    }
  }

  /** A stream that compresses into {@code out} with {@code how} ("gzip", "xz" or "zstd"). */
  public static OutputStream compressor(String how, OutputStream out) throws IOException {
    switch (how) {
      case "gzip":
        return new GZIPOutputStream(out, 1 << 16);
      case "xz":
        return new XZOutputStream(out, new LZMA2Options(0), org.tukaani.xz.XZ.CHECK_CRC32);
      case "zstd":
        return new ZstdOutputStream(out, 1);
      default:
        throw new IllegalArgumentException(how);
    }
  }

  /** Writes {@code n} zero bytes to {@code out}, 1 MiB at a time. */
  public static void writeZeros(OutputStream out, long n) throws IOException {
    byte[] chunk = new byte[1 << 20];
    for (long left = n; left > 0; left -= chunk.length) {
      out.write(chunk, 0, (int) Math.min(left, chunk.length));
    }
  }
}
