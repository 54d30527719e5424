package org.kmodkit.core.image;

import io.airlift.compress.lz4.Lz4Decompressor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.io.FileRanges;

/**
 * An LZ4 legacy stream (lz4 -l) seen as the file it decompresses to, decompressing only the
 * blocks a reader touches. Legacy blocks are independent and all but the last decompress to
 * exactly 8 MiB, so offset → block is arithmetic. Reading vmlinux's header, section table and
 * export sections touches three or four of a 6.1 kernel's seven blocks.
 */
final class Lz4LegacyRanges extends FileRanges {
  static final int BLOCK = 8 << 20;

  private final byte[] src;
  private final List<int[]> blocks = new ArrayList<>(); // {offset, length} of each compressed block
  private final byte[][] cache;
  private final long size;

  Lz4LegacyRanges(String source, byte[] src, int off, int len, long size) throws BadInputException {
    super(source);
    this.src = src;
    this.size = size;
    ByteBuffer in = ByteBuffer.wrap(src, off, len).order(ByteOrder.LITTLE_ENDIAN);
    int end = off + len;
    while (in.position() + 4 <= end) {
      int chunk = in.getInt();
      if (chunk == PayloadCompression.LZ4_LEGACY_MAGIC) {
        continue;
      }
      if (chunk < 0 || chunk > end - in.position()) { // not position + chunk: a u32 near 2 GiB overflows int
        throw new BadInputException(source, "LZ4 block of " + chunk + " bytes at payload offset " + (in.position() - 4 - off) + " overruns the payload; the image is truncated");
      }
      blocks.add(new int[] {in.position(), chunk});
      in.position(in.position() + chunk);
    }
    if (blocks.isEmpty() || (long) (blocks.size() - 1) * BLOCK >= size || (long) blocks.size() * BLOCK < size) {
      throw new BadInputException(source, "LZ4 payload of " + blocks.size() + " blocks cannot hold the " + size + " bytes its trailer declares; the image is truncated or corrupt");
    }
    this.cache = new byte[blocks.size()][];
  }

  @Override
  public long size() {
    return size;
  }

  private byte[] block(int i) throws BadInputException {
    byte[] b = cache[i];
    if (b == null) {
      int expect = (int) Math.min(BLOCK, size - (long) i * BLOCK);
      b = new byte[expect];
      int[] at = blocks.get(i);
      int n;
      try {
        n = new Lz4Decompressor().decompress(src, at[0], at[1], b, 0, expect);
      } catch (RuntimeException e) {
        throw new BadInputException(source(), "LZ4 block " + i + " does not decompress (" + e.getMessage() + "); the image is corrupt");
      }
      if (n != expect) {
        throw new BadInputException(source(), "LZ4 block " + i + " gave " + n + " bytes, expected " + expect + "; the image is corrupt");
      }
      cache[i] = b;
    }
    return b;
  }

  @Override
  protected ByteBuffer fetch(long offset, int length) throws BadInputException {
    int first = (int) (offset / BLOCK);
    int last = (int) ((offset + Math.max(length, 1) - 1) / BLOCK);
    if (first == last) {
      return ByteBuffer.wrap(block(first), (int) (offset - (long) first * BLOCK), length).slice();
    }
    ByteBuffer out = ByteBuffer.allocate(length);
    long pos = offset;
    while (out.hasRemaining()) {
      int i = (int) (pos / BLOCK);
      int within = (int) (pos - (long) i * BLOCK);
      int n = Math.min(out.remaining(), BLOCK - within);
      out.put(block(i), within, n);
      pos += n;
    }
    return out.flip();
  }
}
