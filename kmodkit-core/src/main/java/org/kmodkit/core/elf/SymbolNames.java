package org.kmodkit.core.elf;

import java.nio.charset.Charset;
import java.util.Arrays;
import org.kmodkit.core.abi.Crc;

/**
 * One String (and one {@link Import}, one {@link SymbolVersion}) per distinct ASCII name met by the
 * reads one table serves: the modules of a tree import and version the same few thousand kernel
 * symbols over and over, so after the first modules a name costs a hash and a compare instead of
 * new objects that live as long as the modules do. Names with other bytes are decoded each time
 * in the caller's charset, as before. Not thread-safe: one table per reader at a time.
 */
final class SymbolNames {
  /** What is kept per distinct name. */
  private static final class Entry {
    final byte[] bytes;
    final int hash;
    final String name;
    Import strong;
    Import weak;
    SymbolVersion version; // the last one made: the same CRC recurs across a tree's modules

    Entry(byte[] bytes, int hash) {
      this.bytes = bytes;
      this.hash = hash;
      this.name = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  // Bounds for hostile input (a kernel exports ~30,000 names of ~20 bytes; KSYM_NAME_LEN is 512):
  // past them names are decoded per use, as without the table, and nothing more is kept.
  private static final int MAX_ENTRIES = 1 << 17;
  private static final int MAX_NAME = 512;
  private static final long MAX_BYTES = 4 << 20;
  // Slots a lookup tries: honest names spread out (the table is at most half full), names made to
  // share a hash crowd one run, and past this many they are decoded per use instead of searched
  private static final int MAX_PROBE = 32;

  private Entry[] table;
  private int size;
  private long bytes;

  /** A table for a read or two. */
  SymbolNames() {
    this(1 << 8);
  }

  /** A table sized for {@code names} distinct names before it grows (a power of two). */
  SymbolNames(int names) {
    table = new Entry[2 * Integer.highestOneBit(Math.max(names, 4))];
  }

  /** The name of the {@code length} bytes at {@code at}, decoded with {@code charset} unless ASCII. */
  String name(byte[] b, int at, int length, Charset charset) {
    Entry e = entry(b, at, length);
    return e != null ? e.name : new String(b, at, length, charset);
  }

  Import importOf(byte[] b, int at, int length, boolean weak, Charset charset) {
    Entry e = entry(b, at, length);
    if (e == null) {
      return new Import(new String(b, at, length, charset), weak);
    }
    if (weak) {
      return e.weak != null ? e.weak : (e.weak = new Import(e.name, true));
    }
    return e.strong != null ? e.strong : (e.strong = new Import(e.name, false));
  }

  SymbolVersion versionOf(byte[] b, int at, int length, long crc, Charset charset) {
    Entry e = entry(b, at, length);
    if (e == null) {
      return new SymbolVersion(new String(b, at, length, charset), Crc.of(crc));
    }
    SymbolVersion v = e.version;
    if (v == null || v.crc().value() != crc) {
      v = e.version = new SymbolVersion(e.name, Crc.of(crc));
    }
    return v;
  }

  /**
   * The entry for these bytes, made when new; null when they are not all ASCII, past the bounds,
   * or not within {@link #MAX_PROBE} slots of where their hash puts them.
   */
  private Entry entry(byte[] b, int at, int length) {
    int h = hash(b, at, length);
    int mask = table.length - 1;
    int i = mix(h) & mask;
    for (int probe = 0; probe < MAX_PROBE; probe++, i = (i + 1) & mask) {
      Entry e = table[i];
      if (e == null) {
        if (size >= MAX_ENTRIES || length > MAX_NAME || bytes + length > MAX_BYTES || !ascii(b, at, length)) {
          return null;
        }
        e = new Entry(Arrays.copyOfRange(b, at, at + length), h);
        table[i] = e;
        bytes += length;
        if (++size * 2 > table.length) {
          grow();
        }
        return e;
      }
      if (e.hash == h && Arrays.equals(e.bytes, 0, e.bytes.length, b, at, at + length)) {
        return e;
      }
    }
    return null;
  }

  /** Every byte, as String.hashCode weighs chars (a kernel's names share long prefixes and suffixes). */
  private static int hash(byte[] b, int at, int length) {
    int h = 0;
    for (int i = at; i < at + length; i++) {
      h = 31 * h + b[i];
    }
    return h;
  }

  private static boolean ascii(byte[] b, int at, int length) {
    for (int i = at; i < at + length; i++) {
      if (b[i] < 0) {
        return false;
      }
    }
    return true;
  }

  /** MurmurHash3's finalizer: names a character apart, whose hashes are close, land far apart. */
  private static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  private void grow() {
    Entry[] old = table;
    table = new Entry[old.length * 2];
    int mask = table.length - 1;
    for (Entry e : old) {
      if (e != null) {
        int i = mix(e.hash) & mask;
        for (int probe = 0; table[i] != null && probe < MAX_PROBE; probe++) {
          i = (i + 1) & mask;
        }
        if (table[i] == null) {
          table[i] = e;
        } else { // a crowded run even here: let it go, as a name never kept
          size--;
          bytes -= e.bytes.length;
        }
      }
    }
  }
}
