package org.kmodkit.core.elf;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.CorruptFileException;
import org.kmodkit.core.io.Bytes;
import org.kmodkit.core.io.FileRanges;

/**
 * An ELF file's header and section table; section contents are fetched on request, so reading a
 * module touches only the sections its caller needs. Every offset is checked against the ELF's
 * length (which excludes an appended module signature).
 */
public final class Elf {
  public static final int ET_REL = 1;
  public static final int ET_EXEC = 2;
  public static final int ET_DYN = 3;
  public static final int SHT_NULL = 0;
  public static final int SHT_SYMTAB = 2;
  public static final int SHT_STRTAB = 3;
  public static final int SHT_RELA = 4;
  public static final int SHT_NOBITS = 8;
  public static final int SHT_REL = 9;
  public static final int SHN_UNDEF = 0;
  public static final int SHN_LORESERVE = 0xff00;
  public static final int SHN_ABS = 0xfff1;
  public static final int SHN_COMMON = 0xfff2;
  public static final int SHN_XINDEX = 0xffff;

  private final FileRanges in;
  private final long length;
  private final boolean is64;
  private final ByteOrder order;
  private final int type;
  private final int machine;
  private final List<Section> sections;

  private Elf(FileRanges in, long length, boolean is64, ByteOrder order, int type, int machine, List<Section> sections) {
    this.in = in;
    this.length = length;
    this.is64 = is64;
    this.order = order;
    this.type = type;
    this.machine = machine;
    this.sections = sections;
  }

  /** One section header. */
  public record Section(int index, String name, int type, long flags, long addr, long offset, long size, int link, int info, long entsize) {
    public boolean hasContents() {
      return type != SHT_NOBITS && type != SHT_NULL;
    }
  }

  /** True when {@code head} starts with the ELF magic. */
  public static boolean isElf(byte[] head) {
    return head.length >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
  }

  /** Parses the ELF header and section table of the first {@code length} bytes of {@code in}. */
  public static Elf parse(FileRanges in, long length) throws BadInputException {
    return parse(in, length, null);
  }

  /** As {@link #parse(FileRanges, long)}, the section names taken from {@code symbolNames} when not null. */
  static Elf parse(FileRanges in, long length, SymbolNames symbolNames) throws BadInputException {
    String src = in.source();
    if (length < 52) {
      throw new BadInputException(src, "not an ELF file: only " + length + " bytes (a kernel module is at least a few KiB)");
    }
    Bytes ident = in.read(0, 16, ByteOrder.LITTLE_ENDIAN, "ELF identification");
    if (!isElf(ident.copy(0, 4))) {
      throw new BadInputException(src, "not an ELF file (no \\x7fELF magic at offset 0); expected a kernel module (.ko, .ko.xz, .ko.zst, .ko.gz)");
    }
    int cls = ident.u8(4);
    int data = ident.u8(5);
    if (cls != 1 && cls != 2) {
      throw new CorruptFileException(src, 4, "unknown ELF class " + cls);
    }
    if (data != 1 && data != 2) {
      throw new CorruptFileException(src, 5, "unknown ELF data encoding " + data);
    }
    boolean is64 = cls == 2;
    ByteOrder order = data == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
    int ehsize = is64 ? 64 : 52;
    if (length < ehsize) {
      throw new CorruptFileException(src, 0, "ELF header truncated");
    }
    Bytes h = in.read(0, ehsize, order, "ELF header");
    int type = h.u16(16);
    int machine = h.u16(18);
    long shoff = is64 ? h.u64(40) : h.u32(32);
    int shentsize = h.u16(is64 ? 58 : 46);
    long shnum = h.u16(is64 ? 60 : 48);
    // long, not int: with SHN_XINDEX the real index is a u32 from section header 0, which an int
    // would turn negative and past the range check below
    long shstrndx = h.u16(is64 ? 62 : 50);
    long shstrndxAt = is64 ? 62 : 50;
    int expected = is64 ? 64 : 40;
    if (shoff == 0) {
      return new Elf(in, length, is64, order, type, machine, List.of());
    }
    if (shentsize != expected) {
      throw new CorruptFileException(src, is64 ? 58 : 46, "section header size " + shentsize + ", expected " + expected);
    }
    if (shoff < 0 || shoff > length - expected) {
      throw new CorruptFileException(src, is64 ? 40 : 32, "section table offset 0x" + Long.toHexString(shoff) + " beyond the " + length + "-byte ELF");
    }
    if (shnum == 0 || shstrndx == SHN_XINDEX) {
      // more than 0xff00 sections: the real values sit in section header 0
      Bytes first = in.read(shoff, expected, order, "section header 0");
      if (shnum == 0) {
        shnum = is64 ? first.u64(32) : first.u32(20);
      }
      if (shstrndx == SHN_XINDEX) {
        shstrndx = first.u32(is64 ? 40 : 24);
        shstrndxAt = shoff + (is64 ? 40 : 24);
      }
    }
    if (shnum < 0 || shnum > (length - shoff) / expected) {
      throw new CorruptFileException(src, shoff, shnum + " section headers do not fit in the " + length + "-byte ELF");
    }
    Bytes table = in.read(shoff, shnum * expected, order, "section table");
    // decoded straight from the array (every field lies inside the table just read): a module has
    // dozens of sections and a tree thousands of modules
    byte[] t = table.backingArray();
    int at = table.arrayOffset();
    if (t == null) {
      t = table.toArray();
      at = 0;
    }
    boolean le = order == ByteOrder.LITTLE_ENDIAN;
    for (int i = 0; i < shnum; i++) {
      int o = at + i * expected;
      long stype = u32(t, o + 4, le) & 0xffffffffL;
      long off = is64 ? u64(t, o + 24, le) : u32(t, o + 16, le) & 0xffffffffL;
      long size = is64 ? u64(t, o + 32, le) : u32(t, o + 20, le) & 0xffffffffL;
      if (stype != SHT_NOBITS && stype != SHT_NULL && (off < 0 || size < 0 || off > length || size > length - off)) {
        throw new CorruptFileException(src, shoff + (long) i * expected, "section " + i + " (offset 0x" + Long.toHexString(off) + ", size " + size + ") lies outside the " + length + "-byte ELF");
      }
    }
    Bytes names = null;
    if (shstrndx != 0) {
      if (shstrndx >= shnum) {
        throw new CorruptFileException(src, shstrndxAt, "section name table index " + shstrndx + " out of " + shnum);
      }
      int o = at + (int) shstrndx * expected;
      names = in.read(is64 ? u64(t, o + 24, le) : u32(t, o + 16, le) & 0xffffffffL, is64 ? u64(t, o + 32, le) : u32(t, o + 20, le) & 0xffffffffL, order, "section name table");
    }
    List<Section> sections = new ArrayList<>((int) shnum);
    for (int i = 0; i < shnum; i++) {
      int o = at + i * expected;
      String name = names == null || i == 0 ? "" : name(names, u32(t, o, le) & 0xffffffffL, symbolNames);
      sections.add(is64
          ? new Section(i, name, u32(t, o + 4, le), u64(t, o + 8, le), u64(t, o + 16, le), u64(t, o + 24, le), u64(t, o + 32, le), u32(t, o + 40, le), u32(t, o + 44, le), u64(t, o + 56, le))
          : new Section(i, name, u32(t, o + 4, le), w32(t, o + 8, le), w32(t, o + 12, le), w32(t, o + 16, le), w32(t, o + 20, le), u32(t, o + 24, le), u32(t, o + 28, le), w32(t, o + 36, le)));
    }
    return new Elf(in, length, is64, order, type, machine, Collections.unmodifiableList(sections));
  }

  static int u16(byte[] b, int at, boolean le) {
    return le ? (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 : (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
  }

  static int u32(byte[] b, int at, boolean le) {
    return le
        ? (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24
        : (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
  }

  static long u64(byte[] b, int at, boolean le) {
    long lo = u32(b, le ? at : at + 4, le) & 0xffffffffL;
    long hi = u32(b, le ? at + 4 : at, le) & 0xffffffffL;
    return hi << 32 | lo;
  }

  /** An unsigned 32-bit field as a long. */
  private static long w32(byte[] b, int at, boolean le) {
    return u32(b, at, le) & 0xffffffffL;
  }

  private static String name(Bytes names, long offset, SymbolNames symbolNames) throws CorruptFileException {
    if (symbolNames == null || names.backingArray() == null) {
      return names.cstring(offset, names.size());
    }
    int end = names.indexOfNul(offset, names.size());
    return symbolNames.name(names.backingArray(), names.arrayOffset() + (int) offset, end - (int) offset, java.nio.charset.StandardCharsets.UTF_8);
  }

  public String source() {
    return in.source();
  }

  public boolean is64() {
    return is64;
  }

  public int wordSize() {
    return is64 ? 8 : 4;
  }

  public ByteOrder order() {
    return order;
  }

  public int type() {
    return type;
  }

  public int machine() {
    return machine;
  }

  /** Bytes of the ELF proper (a module's appended signature excluded). */
  public long length() {
    return length;
  }

  public List<Section> sections() {
    return sections;
  }

  public Optional<Section> section(String name) {
    for (Section s : sections) {
      if (s.name().equals(name)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  public Section section(int index) throws CorruptFileException {
    if (index < 0 || index >= sections.size()) {
      throw new CorruptFileException(source(), 0, "reference to section " + index + " of " + sections.size());
    }
    return sections.get(index);
  }

  /** The contents of {@code s} (empty for NOBITS), fetched now. */
  public Bytes contents(Section s) throws BadInputException {
    if (!s.hasContents()) {
      return Bytes.at(source(), java.nio.ByteBuffer.allocate(0), s.offset(), order);
    }
    return in.read(s.offset(), s.size(), order, "section " + s.name());
  }

  /** The symbol table (.symtab and its string table), or an empty table when there is none. */
  public SymbolTable symbols() throws BadInputException {
    for (Section s : sections) {
      if (s.type() == SHT_SYMTAB) {
        return new SymbolTable(this, contents(s), contents(stringTableOf(s)));
      }
    }
    return SymbolTable.empty(this);
  }

  /**
   * The string table {@code symtab}'s sh_link names. A link to itself or to any section that is not
   * a STRTAB is corruption: reading names from it would invent symbols (an empty name, garbage).
   */
  public Section stringTableOf(Section symtab) throws BadInputException {
    Section strtab = section(symtab.link());
    if (strtab.index() == symtab.index() || strtab.type() != SHT_STRTAB) {
      throw new BadInputException(source(), "symbol table (section " + symtab.index() + ") links to section " + symtab.link()
          + " of type " + strtab.type() + ", not a string table; the file is corrupt, rebuild or re-download it");
    }
    return strtab;
  }

  /** Bytes of {@code length} at file offset {@code offset}, checked against the ELF's length. */
  public Bytes read(long offset, long length, String what) throws BadInputException {
    if (offset < 0 || length < 0 || offset > this.length - length) {
      throw new CorruptFileException(source(), offset, what + " lies outside the ELF");
    }
    return in.read(offset, length, order, what);
  }
}
