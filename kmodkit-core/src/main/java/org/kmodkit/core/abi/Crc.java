package org.kmodkit.core.abi;

/** A symbol version: the 32-bit CRC genksyms computes over a symbol's type. */
public record Crc(long value) {
  public Crc {
    if (value >>> 32 != 0) {
      throw new IllegalArgumentException("a symbol CRC is 32 bits, got 0x" + Long.toHexString(value));
    }
  }

  public static Crc of(long value) {
    return new Crc(value);
  }

  /** Parses {@code 0x1a2b3c4d} (the form Module.symvers and the kernel print). */
  public static Crc parse(String text) {
    String t = text.startsWith("0x") || text.startsWith("0X") ? text.substring(2) : text;
    if (t.isEmpty() || t.length() > 16) {
      throw new IllegalArgumentException("not a CRC: " + text);
    }
    long v = Long.parseUnsignedLong(t, 16);
    if (v >>> 32 != 0) {
      // some 64-bit tools sign-extend; the kernel compares the low 32 bits
      if (v >>> 32 == 0xffffffffL) {
        v &= 0xffffffffL;
      } else {
        throw new IllegalArgumentException("a symbol CRC is 32 bits, got " + text);
      }
    }
    return new Crc(v);
  }

  // Written out: a record's generated equals is bootstrapped through method handles on first use,
  // a cost every short run paid on its first CRC comparison.
  @Override
  public boolean equals(Object o) {
    return o instanceof Crc c && c.value == value;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value);
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  @Override
  public String toString() {
    char[] c = {'0', 'x', 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++) {
      c[9 - i] = HEX[(int) (value >>> (4 * i)) & 0xf];
    }
    return new String(c);
  }
}
