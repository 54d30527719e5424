package org.kmodkit.core.elf;

import java.nio.charset.StandardCharsets;
import org.kmodkit.core.CorruptFileException;
import org.kmodkit.core.io.Bytes;

/**
 * An ELF symbol table read field by field: tens of thousands of symbols are scanned without making
 * a String for each; names are decoded only for the symbols a caller keeps.
 */
public final class SymbolTable {
  public static final int STB_LOCAL = 0;
  public static final int STB_GLOBAL = 1;
  public static final int STB_WEAK = 2;
  public static final int STT_SECTION = 3;
  public static final int STT_REGISTER = 13;

  private final Elf elf;
  private final Bytes syms;
  private final Bytes strings;
  private final int entsize;
  private final int count;

  SymbolTable(Elf elf, Bytes syms, Bytes strings) throws CorruptFileException {
    this.elf = elf;
    this.syms = syms;
    this.strings = strings;
    this.entsize = elf.is64() ? 24 : 16;
    if (syms.size() % entsize != 0) {
      throw syms.corrupt(0, ".symtab size " + syms.size() + " is not a multiple of " + entsize);
    }
    this.count = (int) (syms.size() / entsize);
  }

  static SymbolTable empty(Elf elf) {
    try {
      Bytes none = Bytes.of(elf.source(), new byte[0], elf.order());
      return new SymbolTable(elf, none, none);
    } catch (CorruptFileException e) {
      throw new AssertionError(e);
    }
  }

  public int count() {
    return count;
  }

  private long at(int i) {
    return (long) i * entsize;
  }

  public long nameOffset(int i) throws CorruptFileException {
    return syms.u32(at(i));
  }

  public int info(int i) throws CorruptFileException {
    return syms.u8(at(i) + (elf.is64() ? 4 : 12));
  }

  public int bind(int i) throws CorruptFileException {
    return info(i) >>> 4;
  }

  public int type(int i) throws CorruptFileException {
    return info(i) & 0xf;
  }

  public int shndx(int i) throws CorruptFileException {
    return syms.u16(at(i) + (elf.is64() ? 6 : 14));
  }

  public long value(int i) throws CorruptFileException {
    return elf.is64() ? syms.u64(at(i) + 8) : syms.u32(at(i) + 4);
  }

  /** True when symbol {@code i}'s name starts with {@code prefix} (ASCII bytes). */
  public boolean nameStartsWith(int i, byte[] prefix) throws CorruptFileException {
    long off = nameOffset(i);
    if (off >= strings.size()) {
      throw syms.corrupt(at(i), "symbol " + i + " name offset " + off + " beyond the " + strings.size() + "-byte string table");
    }
    return strings.startsWith(off, prefix);
  }

  public boolean hasName(int i) throws CorruptFileException {
    long off = nameOffset(i);
    return off != 0 && off < strings.size() && strings.u8(off) != 0;
  }

  public String name(int i) throws CorruptFileException {
    long off = nameOffset(i);
    if (off >= strings.size()) {
      throw syms.corrupt(at(i), "symbol " + i + " name offset " + off + " beyond the " + strings.size() + "-byte string table");
    }
    return strings.cstring(off, strings.size());
  }

  /** The name of symbol {@code i} without its first {@code skip} bytes (a known ASCII prefix). */
  public String nameAfter(int i, int skip) throws CorruptFileException {
    long off = nameOffset(i) + skip;
    int end = strings.indexOfNul(off, strings.size());
    return new String(strings.copy(off, (int) (end - off)), StandardCharsets.UTF_8);
  }
}
