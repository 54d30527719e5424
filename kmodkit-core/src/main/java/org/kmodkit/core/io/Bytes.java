package org.kmodkit.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.kmodkit.core.CorruptFileException;

/**
 * A range-checked view of bytes from one file. Every read checks its bounds and reports a
 * violation as a {@link CorruptFileException} naming the file and the absolute file offset, so a
 * corrupt input never becomes an IndexOutOfBoundsException deep in a parser.
 */
public final class Bytes {
  private final String source;
  private final ByteBuffer buf;
  private final long base;

  private Bytes(String source, ByteBuffer buf, long base) {
    this.source = source;
    this.buf = buf;
    this.base = base;
  }

  /** Wraps a whole buffer (from its position to its limit) read from {@code source}. */
  public static Bytes of(String source, ByteBuffer buf, ByteOrder order) {
    return new Bytes(source, buf.slice().order(order), 0);
  }

  public static Bytes of(String source, byte[] data, ByteOrder order) {
    return new Bytes(source, ByteBuffer.wrap(data).order(order), 0);
  }

  /** Wraps bytes that sit at file offset {@code base} of {@code source}, for offset-exact errors. */
  public static Bytes at(String source, ByteBuffer buf, long base, ByteOrder order) {
    return new Bytes(source, buf.slice().order(order), base);
  }

  public String source() {
    return source;
  }

  /** Offset of this view's first byte in the file it came from. */
  public long base() {
    return base;
  }

  public long size() {
    return buf.limit();
  }

  public ByteOrder order() {
    return buf.order();
  }

  public Bytes withOrder(ByteOrder order) {
    return new Bytes(source, buf.duplicate().order(order), base);
  }

  public CorruptFileException corrupt(long offset, String problem) {
    return new CorruptFileException(source, base + offset, problem);
  }

  private int check(long offset, long length, String what) throws CorruptFileException {
    if (offset < 0 || length < 0 || offset > buf.limit() - length) {
      throw corrupt(offset, what + " (" + length + " bytes) lies outside the " + buf.limit() + "-byte range");
    }
    return (int) offset;
  }

  public int u8(long offset) throws CorruptFileException {
    return buf.get(check(offset, 1, "byte")) & 0xff;
  }

  public int u16(long offset) throws CorruptFileException {
    return buf.getShort(check(offset, 2, "16-bit value")) & 0xffff;
  }

  public long u32(long offset) throws CorruptFileException {
    return buf.getInt(check(offset, 4, "32-bit value")) & 0xffffffffL;
  }

  public int s32(long offset) throws CorruptFileException {
    return buf.getInt(check(offset, 4, "32-bit value"));
  }

  public long u64(long offset) throws CorruptFileException {
    return buf.getLong(check(offset, 8, "64-bit value"));
  }

  /** An unsigned word of 4 or 8 bytes. */
  public long word(long offset, int size) throws CorruptFileException {
    return size == 8 ? u64(offset) : u32(offset);
  }

  /** A big-endian 32-bit value, whatever this view's order (used by trailers defined as be32). */
  public long be32(long offset) throws CorruptFileException {
    int at = check(offset, 4, "32-bit value");
    return ((buf.get(at) & 0xffL) << 24) | ((buf.get(at + 1) & 0xffL) << 16) | ((buf.get(at + 2) & 0xffL) << 8) | (buf.get(at + 3) & 0xffL);
  }

  /** A view of {@code length} bytes at {@code offset}, checked. */
  public Bytes slice(long offset, long length, String what) throws CorruptFileException {
    int at = check(offset, length, what);
    return new Bytes(source, buf.slice(at, (int) length).order(buf.order()), base + offset);
  }

  public byte[] copy(long offset, int length) throws CorruptFileException {
    int at = check(offset, length, "byte range");
    byte[] out = new byte[length];
    buf.get(at, out);
    return out;
  }

  /** The bytes as an array: the backing array itself when it is exactly this view, else a copy. */
  public byte[] array() {
    if (buf.hasArray() && buf.arrayOffset() == 0 && buf.array().length == buf.limit()) {
      return buf.array();
    }
    return toArray();
  }

  /**
   * The array this view's bytes sit in, from {@link #arrayOffset} for {@link #size} bytes, for loops
   * that decode straight from it (and check their own bounds); null when the view has no array.
   */
  public byte[] backingArray() {
    return buf.hasArray() ? buf.array() : null;
  }

  /** Where this view starts in {@link #backingArray}. */
  public int arrayOffset() {
    return buf.hasArray() ? buf.arrayOffset() : 0;
  }

  public byte[] toArray() {
    byte[] out = new byte[buf.limit()];
    buf.get(0, out);
    return out;
  }

  /**
   * The NUL-terminated string at {@code offset}, which must end before {@code limit} (exclusive,
   * clamped to the view). A string with no NUL inside the limit is corrupt.
   */
  public String cstring(long offset, long limit) throws CorruptFileException {
    int end = indexOfNul(offset, limit);
    if (buf.hasArray()) {
      return new String(buf.array(), buf.arrayOffset() + (int) offset, end - (int) offset, StandardCharsets.UTF_8);
    }
    return new String(bytesBetween((int) offset, end), StandardCharsets.UTF_8);
  }

  /** Index of the first NUL at or after {@code offset} and before {@code limit}; corrupt if none. */
  public int indexOfNul(long offset, long limit) throws CorruptFileException {
    long lim = Math.min(limit, buf.limit());
    check(offset, 0, "string");
    if (buf.hasArray()) {
      // straight over the array: thousands of symbol names per module, scanned before any JIT
      byte[] a = buf.array();
      int base = buf.arrayOffset();
      for (int i = (int) offset; i < lim; i++) {
        if (a[base + i] == 0) {
          return i;
        }
      }
      throw corrupt(offset, "string without terminating NUL");
    }
    for (long i = offset; i < lim; i++) {
      if (buf.get((int) i) == 0) {
        return (int) i;
      }
    }
    throw corrupt(offset, "string without terminating NUL");
  }

  private byte[] bytesBetween(int from, int to) {
    byte[] out = new byte[to - from];
    buf.get(from, out);
    return out;
  }

  /** True when the bytes at {@code offset} start with {@code prefix} (no exception past the end). */
  public boolean startsWith(long offset, byte[] prefix) {
    if (offset < 0 || offset > buf.limit() - prefix.length) {
      return false;
    }
    int at = (int) offset;
    for (int i = 0; i < prefix.length; i++) {
      if (buf.get(at + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** True when the whole view equals {@code other}. */
  public boolean contentEquals(byte[] other) {
    return buf.limit() == other.length && startsWith(0, other);
  }
}
