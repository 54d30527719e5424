package org.kmodkit.core.elf;

import java.io.BufferedInputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

  private ModuleReader() {}

  /** Reads {@code file}; errors name it as given. */
  public static ModuleFile read(Path file) throws BadInputException {
    return read(file, file.toString());
  }

  /** Reads {@code file}; errors and the result name it {@code source}. */
  public static ModuleFile read(Path file, String source) throws BadInputException {
    if (Files.isDirectory(file)) {
      throw new BadInputException(source, "is a directory, not a module file");
    }
    try (FileRanges in = FileRanges.open(file, source)) {
      byte[] head = in.read(0, Math.min(6, in.size()), ByteOrder.LITTLE_ENDIAN, "file head").toArray();
      Compression c = Compression.detect(head);
      if (c == Compression.NONE) {
        return parse(in, source, c);
      }
      // the bytes and their share of the memory budget are held while they are parsed, then let go
      Compression.Source packed = () -> new BufferedInputStream(Files.newInputStream(file), 1 << 16);
      try (Compression.Expanded plain = c.expand(source, packed, in.size(), ExpansionLimit.MODULE, MemoryBudget.heap())) {
        return parse(FileRanges.of(source, plain.bytes()), source, c);
      }
    }
  }

  /** Parses module bytes held in memory (a package entry, a test fixture). */
  public static ModuleFile parse(String source, byte[] data) throws BadInputException {
    Compression c = Compression.detect(data.length >= 6 ? java.util.Arrays.copyOf(data, 6) : data);
    if (c == Compression.NONE) {
      return parse(FileRanges.of(source, data), source, c);
    }
    try (Compression.Expanded plain = c.expand(source, data, ExpansionLimit.MODULE, MemoryBudget.heap())) {
      return parse(FileRanges.of(source, plain.bytes()), source, c);
    }
  }

  private static ModuleFile parse(FileRanges in, String source, Compression compression) throws BadInputException {
    long size = in.size();
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
    Elf elf = Elf.parse(in, elfLength);
    if (elf.type() != Elf.ET_REL) {
      throw notRelocatable(source, elf.type());
    }
    if (elf.section(".gnu.linkonce.this_module").isEmpty()) {
      throw new BadInputException(source, "is a relocatable object but not a kernel module (no .gnu.linkonce.this_module section); pass the .ko that Kbuild linked");
    }
    ElfArch arch = new ElfArch(elf.is64() ? 64 : 32, elf.order(), elf.machine());
    ModInfo modinfo = modinfo(elf);
    VersionTables versions = versions(elf);
    SymbolScan scan = scanSymbols(elf);
    String name = moduleName(elf, modinfo, source);
    List<KernelSymbol> exports = new ArrayList<>(scan.exports.size());
    for (Map.Entry<String, ExportType> e : scan.exports.entrySet()) {
      exports.add(new KernelSymbol(e.getKey(), scan.crcs.get(e.getKey()), name, e.getValue(), scan.namespaces.getOrDefault(e.getKey(), "")));
    }
    return new ModuleFile(source, name, arch, compression, modinfo, versions.entries, versions.kind, exports, scan.imports, signature);
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
    if (s.isEmpty()) {
      return ModInfo.empty();
    }
    Bytes b = elf.contents(s.get());
    List<Map.Entry<String, String>> entries = new ArrayList<>();
    long p = 0;
    while (p < b.size()) {
      if (b.u8(p) == 0) {
        p++;
        continue;
      }
      int end;
      try {
        end = b.indexOfNul(p, b.size());
      } catch (CorruptFileException e) {
        end = (int) b.size(); // a last string without NUL: the kernel would overrun; we stop
      }
      String kv = new String(b.copy(p, (int) (end - p)), StandardCharsets.UTF_8);
      int eq = kv.indexOf('=');
      if (eq > 0) {
        entries.add(new AbstractMap.SimpleImmutableEntry<>(kv.substring(0, eq), kv.substring(eq + 1)));
      }
      p = end + 1;
    }
    return new ModInfo(entries);
  }

  private record VersionTables(List<SymbolVersion> entries, ModuleFile.VersionsKind kind) {}

  /**
   * The version table the loader consults: with extended modversions (6.14+) only the extended
   * tables count (check_version never falls back to __versions then); else __versions.
   */
  private static VersionTables versions(Elf elf) throws BadInputException {
    Optional<Elf.Section> crcs = elf.section("__version_ext_crcs");
    Optional<Elf.Section> names = elf.section("__version_ext_names");
    Optional<Elf.Section> vers = elf.section("__versions");
    boolean extended = crcs.isPresent() && names.isPresent();
    List<SymbolVersion> basic = vers.isPresent() ? basicVersions(elf, vers.get()) : List.of();
    if (extended) {
      return new VersionTables(extendedVersions(elf, crcs.get(), names.get()), vers.isPresent() ? ModuleFile.VersionsKind.BOTH : ModuleFile.VersionsKind.EXTENDED);
    }
    return new VersionTables(basic, vers.isPresent() ? ModuleFile.VersionsKind.BASIC : ModuleFile.VersionsKind.NONE);
  }

  private static List<SymbolVersion> extendedVersions(Elf elf, Elf.Section crcs, Elf.Section names) throws BadInputException {
    Bytes c = elf.contents(crcs);
    Bytes n = elf.contents(names);
    if (c.size() % 4 != 0) {
      throw c.corrupt(0, "__version_ext_crcs size " + c.size() + " is not a multiple of 4");
    }
    List<SymbolVersion> out = new ArrayList<>((int) (c.size() / 4));
    long p = 0;
    for (long i = 0; i < c.size() / 4; i++) {
      if (p >= n.size()) {
        throw n.corrupt(p, "__version_ext_names has fewer names than __version_ext_crcs has CRCs (" + c.size() / 4 + ")");
      }
      int end = n.indexOfNul(p, n.size());
      out.add(new SymbolVersion(new String(n.copy(p, (int) (end - p)), StandardCharsets.UTF_8), Crc.of(c.u32(i * 4))));
      p = end + 1;
    }
    return out;
  }

  private static List<SymbolVersion> basicVersions(Elf elf, Elf.Section section) throws BadInputException {
    Bytes v = elf.contents(section);
    if (v.size() % VERSION_RECORD != 0) {
      throw v.corrupt(0, "__versions size " + v.size() + " is not a multiple of " + VERSION_RECORD + "-byte records");
    }
    int word = elf.wordSize();
    List<SymbolVersion> out = new ArrayList<>((int) (v.size() / VERSION_RECORD));
    for (long r = 0; r < v.size(); r += VERSION_RECORD) {
      long crc = v.word(r, word);
      String name = v.cstring(r + word, r + VERSION_RECORD);
      if (crc >>> 32 != 0) {
        throw v.corrupt(r, "symbol version of " + name + " is 0x" + Long.toHexString(crc) + ", wider than a 32-bit CRC");
      }
      out.add(new SymbolVersion(name, Crc.of(crc)));
    }
    return out;
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
  private static SymbolScan scanSymbols(Elf elf) throws BadInputException {
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
    byte[] sym = symBytes.array();
    byte[] str = elf.contents(elf.stringTableOf(symSec)).array();
    boolean is64 = elf.is64();
    boolean le = elf.order() == java.nio.ByteOrder.LITTLE_ENDIAN;
    int ent = is64 ? 24 : 16;
    if (sym.length % ent != 0) {
      throw symBytes.corrupt(0, ".symtab size " + sym.length + " is not a multiple of " + ent);
    }
    int count = sym.length / ent;
    ExportType[] ksymtabOf = new ExportType[elf.sections().size()];
    for (Elf.Section s : elf.sections()) {
      ksymtabOf[s.index()] = ExportType.ofSection(s.name());
    }
    Map<Integer, Bytes> sectionCache = new HashMap<>();
    boolean sparc = elf.machine() == ElfArch.EM_SPARCV9;
    for (int i = 1; i < count; i++) {
      int base = i * ent;
      int nameOff = u32(sym, base, le);
      int info;
      int shndx;
      long value;
      if (is64) {
        info = sym[base + 4] & 0xff;
        shndx = u16(sym, base + 6, le);
        value = u64(sym, base + 8, le);
      } else {
        value = u32(sym, base + 4, le) & 0xffffffffL;
        info = sym[base + 12] & 0xff;
        shndx = u16(sym, base + 14, le);
      }
      if (nameOff < 0 || nameOff >= str.length) {
        throw symBytes.corrupt(base, "symbol " + i + " name offset " + (nameOff & 0xffffffffL) + " beyond the " + str.length + "-byte string table");
      }
      if (shndx == Elf.SHN_UNDEF) {
        if (str[nameOff] != 0 && !(sparc && (info & 0xf) == SymbolTable.STT_REGISTER)) {
          out.imports.add(new Import(cstring(str, nameOff, symBytes, base), info >>> 4 == SymbolTable.STB_WEAK));
        }
        continue;
      }
      if (str[nameOff] != '_' || nameOff + 1 >= str.length || str[nameOff + 1] != '_' || (info & 0xf) == SymbolTable.STT_SECTION) {
        continue;
      }
      if (startsWith(str, nameOff, KSYMTAB)) {
        ExportType type = shndx < ksymtabOf.length ? ksymtabOf[shndx] : null;
        if (type != null) {
          out.exports.put(cstring(str, nameOff + KSYMTAB.length, symBytes, base), type);
        }
      } else if (startsWith(str, nameOff, CRC)) {
        String name = cstring(str, nameOff + CRC.length, symBytes, base);
        long crc;
        if (shndx == Elf.SHN_ABS) {
          crc = value & 0xffffffffL;
        } else if (shndx < Elf.SHN_LORESERVE) {
          Bytes sec = sectionBytes(elf, shndx, sectionCache);
          crc = sec.u32(value - (elf.type() == Elf.ET_REL ? 0 : elf.section(shndx).addr()));
        } else {
          continue;
        }
        out.crcs.put(name, Crc.of(crc));
      } else if (startsWith(str, nameOff, KSTRTABNS) && shndx < Elf.SHN_LORESERVE) {
        Bytes sec = sectionBytes(elf, shndx, sectionCache);
        String ns = sec.cstring(value, sec.size());
        if (!ns.isEmpty()) {
          out.namespaces.put(cstring(str, nameOff + KSTRTABNS.length, symBytes, base), ns);
        }
      }
    }
    return out;
  }

  private static int u16(byte[] b, int at, boolean le) {
    return le ? (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 : (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
  }

  private static int u32(byte[] b, int at, boolean le) {
    return le
        ? (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24
        : (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
  }

  private static long u64(byte[] b, int at, boolean le) {
    long lo = u32(b, le ? at : at + 4, le) & 0xffffffffL;
    long hi = u32(b, le ? at + 4 : at, le) & 0xffffffffL;
    return hi << 32 | lo;
  }

  private static boolean startsWith(byte[] b, int at, byte[] prefix) {
    if (at + prefix.length > b.length) {
      return false;
    }
    for (int i = 2; i < prefix.length; i++) { // callers checked the leading "__"
      if (b[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String cstring(byte[] b, int at, Bytes symtab, int symAt) throws CorruptFileException {
    int end = at;
    while (end < b.length && b[end] != 0) {
      end++;
    }
    if (end >= b.length) {
      throw symtab.corrupt(symAt, "symbol name runs off the end of the string table");
    }
    return new String(b, at, end - at, StandardCharsets.ISO_8859_1);
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
