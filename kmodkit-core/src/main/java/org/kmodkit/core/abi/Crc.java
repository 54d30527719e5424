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

  @Override
  public String toString() {
    return String.format("0x%08x", value);
  }
}
