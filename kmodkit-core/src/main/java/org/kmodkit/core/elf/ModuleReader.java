package org.kmodkit.core.elf;

import java.io.BufferedInputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.CorruptFileException;
import org.kmodkit.core.abi.Crc;
import org.kmodkit.core.abi.ExportType;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.io.Bytes;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.core.io.FileRanges;
import org.kmodkit.core.io.MemoryBudget;
import org.kmodkit.core.io.ReadBuffer;

/**
 * Reads a kernel module file into a {@link ModuleFile}: decompress (by magic), strip the appended
 * signature, then parse only the ELF sections the loader itself consults.
 */
public final class ModuleReader {
  private static final byte[] KSYMTAB = "__ksymtab_".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CRC = "__crc_".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] KSTRTABNS = "__kstrtabns_".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SIG_MAGIC = ModuleSignature.MAGIC.getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION_RECORD = 64;
  /** Bytes read first at each end of a module: the ELF header; signature, section table and names. */
  private static final int HEAD = 64;
  private static final int TAIL = 8 << 10;
  /** Sections closer than this are read together. */
  private static final long GAP = 4 << 10;

  private ModuleReader() {}

  /** Reads {@code file}; errors name it as given. */
  public static ModuleFile read(Path file) throws BadInputException {
    return read(file, file.toString());
  }

  /** Reads {@code file}; errors and the result name it {@code source}. */
  public static ModuleFile read(Path file, String source) throws BadInputException {
    return read(file, source, null, new SymbolNames());
  }

  /**
   * Reads many modules, from any number of threads at once: each read borrows a buffer to read its
   * sections into and a table of the symbol names met so far, and hands them on to the next read,
   * so a tree's thousands of modules neither allocate per section nor keep a String per import.
   */
  public static final class Batch {
    private final ConcurrentLinkedQueue<Scratch> idle = new ConcurrentLinkedQueue<>();

    private static final class Scratch {
      final ReadBuffer buffer = new ReadBuffer();
      final SymbolNames names = new SymbolNames(1 << 14); // a kernel's imports: some thousands
    }

    /** As {@link ModuleReader#read(Path, String)}. */
    public ModuleFile read(Path file, String source) throws BadInputException {
      Scratch s = idle.poll();
      if (s == null) {
        s = new Scratch();
      }
      try {
        s.buffer.reset();
        return ModuleReader.read(file, source, s.buffer, s.names);
      } finally {
        idle.offer(s);
      }
    }
  }

  private static ModuleFile read(Path file, String source, ReadBuffer buffer, SymbolNames names) throws BadInputException {
    FileRanges opened;
    try {
      opened = FileRanges.open(file, source, buffer);
    } catch (BadInputException e) {
      if (Files.isDirectory(file)) {
        throw new BadInputException(source, "is a directory, not a module file");
      }
      throw e;
    }
    try (FileRanges in = opened) {
      in.prefetch(0, HEAD);
      byte[] head = in.read(0, Math.min(6, in.size()), ByteOrder.LITTLE_ENDIAN, "file head").toArray();
      Compression c = Compression.detect(head);
      if (c == Compression.NONE) {
        return parse(in, source, c, names);
      }
      // the bytes and their share of the memory budget are held while they are parsed, then let go
      Compression.Source packed = () -> new BufferedInputStream(Files.newInputStream(file), 1 << 16);
      try (Compression.Expanded plain = c.expand(source, packed, in.size(), ExpansionLimit.MODULE, MemoryBudget.heap())) {
        return parse(FileRanges.of(source, plain.bytes()), source, c, names);
      }
    }
  }

  /** Parses module bytes held in memory (a package entry, a test fixture). */
  public static ModuleFile parse(String source, byte[] data) throws BadInputException {
    Compression c = Compression.detect(data.length >= 6 ? java.util.Arrays.copyOf(data, 6) : data);
    if (c == Compression.NONE) {
      return parse(FileRanges.of(source, data), source, c, new SymbolNames());
    }
    try (Compression.Expanded plain = c.expand(source, data, ExpansionLimit.MODULE, MemoryBudget.heap())) {
      return parse(FileRanges.of(source, plain.bytes()), source, c, new SymbolNames());
    }
  }

  /**
   * Parses the module in {@code in}. Nothing in the result may refer to {@code in}'s bytes (they may
   * sit in a {@link ReadBuffer} that the next read reuses): every value kept is copied or decoded.
   */
  private static ModuleFile parse(FileRanges in, String source, Compression compression, SymbolNames names) throws BadInputException {
    long size = in.size();
    in.prefetch(size - TAIL, TAIL);
    Optional<ModuleSignature> signature = Optional.empty();
    long elfLength = size;
    long tail = SIG_MAGIC.length + ModuleSignature.INFO_SIZE;
    if (size >= tail && in.read(size - SIG_MAGIC.length, SIG_MAGIC.length, ByteOrder.BIG_ENDIAN, "signature magic").contentEquals(SIG_MAGIC)) {
      Bytes info = in.read(size - tail, ModuleSignature.INFO_SIZE, ByteOrder.BIG_ENDIAN, "module_signature");
      int idType = info.u8(2);
      long extra = (long) info.u8(3) + info.u8(4);
      long sigLen = info.be32(8);
      long start = size - tail - sigLen - extra;
      if (start < 0) {
        throw new CorruptFileException(source, size - tail + 8, "signature length " + sigLen + " exceeds the file");
      }
      Bytes blob = in.read(start, sigLen, ByteOrder.BIG_ENDIAN, "signature");
      signature = Optional.of(idType == 2 ? Pkcs7.parse(blob, idType, start) : new ModuleSignature("", "", "", idType, (int) sigLen, start, new byte[0]));
      elfLength = start;
    }
    Elf elf = Elf.parse(in, elfLength, names);
    if (elf.type() != Elf.ET_REL) {
      throw notRelocatable(source, elf.type());
    }
    if (elf.section(".gnu.linkonce.this_module").isEmpty()) {
      throw new BadInputException(source, "is a relocatable object but not a kernel module (no .gnu.linkonce.this_module section); pass the .ko that Kbuild linked");
    }
    ElfArch arch = new ElfArch(elf.is64() ? 64 : 32, elf.order(), elf.machine());
    prefetchSections(in, elf);
    ModInfo modinfo = modinfo(elf);
    VersionTables versions = versions(elf, names);
    SymbolScan scan = scanSymbols(elf, names);
    String name = moduleName(elf, modinfo, source);
    List<KernelSymbol> exports = new ArrayList<>(scan.exports.size());
    for (Map.Entry<String, ExportType> e : scan.exports.entrySet()) {
      exports.add(new KernelSymbol(e.getKey(), scan.crcs.get(e.getKey()), name, e.getValue(), scan.namespaces.getOrDefault(e.getKey(), "")));
    }
    return new ModuleFile(source, name, arch, compression, modinfo, versions.entries, versions.kind, exports, scan.imports, signature);
  }

  /**
   * Reads the sections the parse consults (.modinfo, the version tables, .symtab and its string
   * table) with one read per run of them: neighbours less than {@link #GAP} apart share one.
   */
  private static void prefetchSections(FileRanges in, Elf elf) throws BadInputException {
    long[] ranges = new long[12];
    int n = 0;
    for (Elf.Section s : elf.sections()) {
      boolean wanted = s.type() == Elf.SHT_SYMTAB || s.name().equals(".modinfo") || s.name().equals("__versions") || s.name().startsWith("__version_ext_");
      if (wanted && s.hasContents() && n < ranges.length) {
        ranges[n++] = s.offset();
        ranges[n++] = s.offset() + s.size();
        Elf.Section strtab = s.type() == Elf.SHT_SYMTAB && s.link() > 0 && s.link() < elf.sections().size() ? elf.sections().get(s.link()) : null;
        if (strtab != null && strtab.hasContents() && n < ranges.length) { // only sections with contents lie checked within the ELF
          ranges[n++] = strtab.offset();
          ranges[n++] = strtab.offset() + strtab.size();
        }
      }
    }
    // sort the ranges by start (a handful: insertion sort), then read each run once
    for (int i = 2; i < n; i += 2) {
      for (int j = i; j > 0 && ranges[j - 2] > ranges[j]; j -= 2) {
        long a = ranges[j - 2];
        long b = ranges[j - 1];
        ranges[j - 2] = ranges[j];
        ranges[j - 1] = ranges[j + 1];
        ranges[j] = a;
        ranges[j + 1] = b;
      }
    }
    for (int i = 0; i < n; ) {
      long from = ranges[i];
      long to = ranges[i + 1];
      for (i += 2; i < n && ranges[i] - to < GAP; i += 2) {
        to = Math.max(to, ranges[i + 1]);
      }
      in.prefetch(from, to - from);
    }
  }

  /** The error for a linked ELF (an executable, a shared object) given where a module belongs. */
  public static BadInputException notRelocatable(String source, int type) {
    String name = switch (type) {
      case Elf.ET_EXEC -> "EXEC";
      case Elf.ET_DYN -> "DYN";
      case 4 -> "CORE";
      default -> String.valueOf(type);
    };
    return new BadInputException(source, "not a kernel module: ELF type " + name + "; kernel modules are relocatable objects (ET_REL)");
  }

  private static ModInfo modinfo(Elf elf) throws BadInputException {
    Optional<Elf.Section> s = elf.section(".modinfo");
    return s.isEmpty() ? ModInfo.empty() : ModInfo.of(elf.contents(s.get()).toArray());
  }

  private record VersionTables(List<SymbolVersion> entries, ModuleFile.VersionsKind kind) {}

  /**
   * The version table the loader consults: with extended modversions (6.14+) only the extended
   * tables count (check_version never falls back to __versions then); else __versions.
   */
  private static VersionTables versions(Elf elf, SymbolNames symbolNames) throws BadInputException {
    Optional<Elf.Section> crcs = elf.section("__version_ext_crcs");
    Optional<Elf.Section> names = elf.section("__version_ext_names");
    Optional<Elf.Section> vers = elf.section("__versions");
    boolean extended = crcs.isPresent() && names.isPresent();
    List<SymbolVersion> basic = vers.isPresent() ? basicVersions(elf, vers.get(), symbolNames) : List.of();
    if (extended) {
      return new VersionTables(extendedVersions(elf, crcs.get(), names.get(), symbolNames), vers.isPresent() ? ModuleFile.VersionsKind.BOTH : ModuleFile.VersionsKind.EXTENDED);
    }
    return new VersionTables(basic, vers.isPresent() ? ModuleFile.VersionsKind.BASIC : ModuleFile.VersionsKind.NONE);
  }

  private static List<SymbolVersion> extendedVersions(Elf elf, Elf.Section crcs, Elf.Section names, SymbolNames symbolNames) throws BadInputException {
    Bytes c = elf.contents(crcs);
    Bytes n = elf.contents(names);
    if (c.size() % 4 != 0) {
      throw c.corrupt(0, "__version_ext_crcs size " + c.size() + " is not a multiple of 4");
    }
    byte[] na = array(n);
    int no = arrayOffset(n);
    List<SymbolVersion> out = new ArrayList<>((int) (c.size() / 4));
    long p = 0;
    for (long i = 0; i < c.size() / 4; i++) {
      if (p >= n.size()) {
        throw n.corrupt(p, "__version_ext_names has fewer names than __version_ext_crcs has CRCs (" + c.size() / 4 + ")");
      }
      int end = n.indexOfNul(p, n.size());
      out.add(symbolNames.versionOf(na, no + (int) p, end - (int) p, c.u32(i * 4), StandardCharsets.UTF_8));
      p = end + 1;
    }
    return out;
  }

  private static List<SymbolVersion> basicVersions(Elf elf, Elf.Section section, SymbolNames symbolNames) throws BadInputException {
    Bytes v = elf.contents(section);
    if (v.size() % VERSION_RECORD != 0) {
      throw v.corrupt(0, "__versions size " + v.size() + " is not a multiple of " + VERSION_RECORD + "-byte records");
    }
    int word = elf.wordSize();
    byte[] va = array(v);
    int vo = arrayOffset(v);
    List<SymbolVersion> out = new ArrayList<>((int) (v.size() / VERSION_RECORD));
    for (int r = 0; r < v.size(); r += VERSION_RECORD) {
      long crc = v.word(r, word);
      int end = v.indexOfNul(r + word, r + VERSION_RECORD);
      if (crc >>> 32 != 0) {
        throw v.corrupt(r, "symbol version of " + v.cstring(r + word, r + VERSION_RECORD) + " is 0x" + Long.toHexString(crc) + ", wider than a 32-bit CRC");
      }
      out.add(symbolNames.versionOf(va, vo + r + word, end - r - word, crc, StandardCharsets.UTF_8));
    }
    return out;
  }

  /** The array behind {@code b} (a copy when it has none), from {@link #arrayOffset}. */
  private static byte[] array(Bytes b) {
    byte[] a = b.backingArray();
    return a != null ? a : b.toArray();
  }

  private static int arrayOffset(Bytes b) {
    return b.backingArray() != null ? b.arrayOffset() : 0;
  }

  /** What one pass over .symtab yields. */
  private static final class SymbolScan {
    final Map<String, ExportType> exports = new LinkedHashMap<>();
    final Map<String, Crc> crcs = new HashMap<>();
    final Map<String, String> namespaces = new HashMap<>();
    final List<Import> imports = new ArrayList<>();
  }

  /**
   * One pass over .symtab, decoded straight from the bytes in a single loop (tens of thousands of
   * symbols per module; this loop is most of a check's work and must get compiled early): undefined
   * symbols are imports; {@code __ksymtab_X} in a __ksymtab* section marks an export,
   * {@code __crc_X} gives its CRC (absolute, or a u32 in __kcrctab), {@code __kstrtabns_X} its
   * namespace — the symbols every kernel since 4.x emits for an export.
   */
  private static SymbolScan scanSymbols(Elf elf, SymbolNames names) throws BadInputException {
    SymbolScan out = new SymbolScan();
    Elf.Section symSec = null;
    for (Elf.Section s : elf.sections()) {
      if (s.type() == Elf.SHT_SYMTAB) {
        symSec = s;
        break;
      }
    }
    if (symSec == null) {
      return out;
    }
    Bytes symBytes = elf.contents(symSec);
    Bytes strBytes = elf.contents(elf.stringTableOf(symSec));
    // symbols and names are read in place, each as an offset into its section's array
    byte[] sym = array(symBytes);
    int so = arrayOffset(symBytes);
    int symLength = (int) symBytes.size();
    byte[] str = array(strBytes);
    int to = arrayOffset(strBytes);
    int strLength = (int) strBytes.size();
    boolean is64 = elf.is64();
    boolean le = elf.order() == java.nio.ByteOrder.LITTLE_ENDIAN;
    int ent = is64 ? 24 : 16;
    if (symLength % ent != 0) {
      throw symBytes.corrupt(0, ".symtab size " + symLength + " is not a multiple of " + ent);
    }
    int count = symLength / ent;
    ExportType[] ksymtabOf = new ExportType[elf.sections().size()];
    for (Elf.Section s : elf.sections()) {
      ksymtabOf[s.index()] = ExportType.ofSection(s.name());
    }
    Map<Integer, Bytes> sectionCache = new HashMap<>();
    boolean sparc = elf.machine() == ElfArch.EM_SPARCV9;
    for (int i = 1; i < count; i++) {
      int base = so + i * ent;
      int nameOff = Elf.u32(sym, base, le);
      int info;
      int shndx;
      long value;
      if (is64) {
        info = sym[base + 4] & 0xff;
        shndx = Elf.u16(sym, base + 6, le);
        value = Elf.u64(sym, base + 8, le);
      } else {
        value = Elf.u32(sym, base + 4, le) & 0xffffffffL;
        info = sym[base + 12] & 0xff;
        shndx = Elf.u16(sym, base + 14, le);
      }
      if (nameOff < 0 || nameOff >= strLength) {
        throw symBytes.corrupt(i * ent, "symbol " + i + " name offset " + (nameOff & 0xffffffffL) + " beyond the " + strLength + "-byte string table");
      }
      int name = to + nameOff;
      if (shndx == Elf.SHN_UNDEF) {
        if (str[name] != 0 && !(sparc && (info & 0xf) == SymbolTable.STT_REGISTER)) {
          int length = nameLength(str, name, to + strLength, symBytes, i * ent);
          out.imports.add(names.importOf(str, name, length, info >>> 4 == SymbolTable.STB_WEAK, StandardCharsets.ISO_8859_1));
        }
        continue;
      }
      if (str[name] != '_' || nameOff + 1 >= strLength || str[name + 1] != '_' || (info & 0xf) == SymbolTable.STT_SECTION) {
        continue;
      }
      int strEnd = to + strLength;
      if (startsWith(str, name, strEnd, KSYMTAB)) {
        ExportType type = shndx < ksymtabOf.length ? ksymtabOf[shndx] : null;
        if (type != null) {
          out.exports.put(symbolName(names, str, name + KSYMTAB.length, strEnd, symBytes, i * ent), type);
        }
      } else if (startsWith(str, name, strEnd, CRC)) {
        String crcOf = symbolName(names, str, name + CRC.length, strEnd, symBytes, i * ent);
        long crc;
        if (shndx == Elf.SHN_ABS) {
          crc = value & 0xffffffffL;
        } else if (shndx < Elf.SHN_LORESERVE) {
          Bytes sec = sectionBytes(elf, shndx, sectionCache);
          crc = sec.u32(value - (elf.type() == Elf.ET_REL ? 0 : elf.section(shndx).addr()));
        } else {
          continue;
        }
        out.crcs.put(crcOf, Crc.of(crc));
      } else if (startsWith(str, name, strEnd, KSTRTABNS) && shndx < Elf.SHN_LORESERVE) {
        Bytes sec = sectionBytes(elf, shndx, sectionCache);
        String ns = sec.cstring(value, sec.size());
        if (!ns.isEmpty()) {
          out.namespaces.put(symbolName(names, str, name + KSTRTABNS.length, strEnd, symBytes, i * ent), ns);
        }
      }
    }
    return out;
  }

  private static boolean startsWith(byte[] b, int at, int end, byte[] prefix) {
    if (at + prefix.length > end) {
      return false;
    }
    for (int i = 2; i < prefix.length; i++) { // callers checked the leading "__"
      if (b[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** Bytes before the NUL of the name at {@code at}, which must end before {@code end}. */
  private static int nameLength(byte[] b, int at, int end, Bytes symtab, int symAt) throws CorruptFileException {
    int nul = at;
    while (nul < end && b[nul] != 0) {
      nul++;
    }
    if (nul >= end) {
      throw symtab.corrupt(symAt, "symbol name runs off the end of the string table");
    }
    return nul - at;
  }

  private static String symbolName(SymbolNames names, byte[] b, int at, int end, Bytes symtab, int symAt) throws CorruptFileException {
    return names.name(b, at, nameLength(b, at, end, symtab, symAt), StandardCharsets.ISO_8859_1);
  }

  private static Bytes sectionBytes(Elf elf, int index, Map<Integer, Bytes> cache) throws BadInputException {
    Bytes b = cache.get(index);
    if (b == null) {
      b = elf.contents(elf.section(index));
      cache.put(index, b);
    }
    return b;
  }

  private static String moduleName(Elf elf, ModInfo modinfo, String source) throws BadInputException {
    if (modinfo.name() != null && !modinfo.name().isEmpty()) {
      return modinfo.name();
    }
    Elf.Section thisModule = elf.section(".gnu.linkonce.this_module").orElseThrow();
    // struct module { enum module_state state; struct list_head list; char name[...]; ... }
    long nameAt = elf.is64() ? 24 : 12;
    if (thisModule.hasContents() && thisModule.size() > nameAt + 1) {
      Bytes b = elf.contents(thisModule);
      try {
        String n = b.cstring(nameAt, Math.min(b.size(), nameAt + 64));
        if (!n.isEmpty()) {
          return n;
        }
      } catch (CorruptFileException e) {
        // fall through to the file name, as modprobe would
      }
    }
    return nameFromPath(source);
  }

  /** The module name a file name implies: basename without .ko[.xz|.zst|.gz], '-' as '_'. */
  public static String nameFromPath(String path) {
    String base = path.substring(path.lastIndexOf('/') + 1);
    int ko = base.indexOf(".ko");
    if (ko > 0) {
      base = base.substring(0, ko);
    }
    return base.replace('-', '_');
  }
}
