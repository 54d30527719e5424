package org.kmodkit.core.elf;

import java.io.IOException;
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
import org.kmodkit.core.io.FileRanges;

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
      byte[] packed;
      try {
        packed = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new BadInputException(source, "cannot read (" + e.getMessage() + ")");
      }
      return parse(FileRanges.of(source, c.decompress(source, packed, Compression.DEFAULT_LIMIT)), source, c);
    }
  }

  /** Parses module bytes held in memory (a package entry, a test fixture). */
  public static ModuleFile parse(String source, byte[] data) throws BadInputException {
    Compression c = Compression.detect(data.length >= 6 ? java.util.Arrays.copyOf(data, 6) : data);
    byte[] plain = c.decompress(source, data, Compression.DEFAULT_LIMIT);
    return parse(FileRanges.of(source, plain), source, c);
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
      signature = Optional.of(idType == 2 ? Pkcs7.parse(blob, idType, start) : new ModuleSignature("", "", "", idType, (int) sigLen, start, ""));
      elfLength = start;
    }
    Elf elf = Elf.parse(in, elfLength);
    if (elf.type() != Elf.ET_REL) {
      throw new BadInputException(source, "is an ELF " + typeName(elf.type()) + ", not a kernel module (modules are relocatable objects); pass a .ko file");
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

  private static String typeName(int type) {
    switch (type) {
      case Elf.ET_EXEC:
        return "executable";
      case Elf.ET_DYN:
        return "shared object";
      case 4:
        return "core dump";
      default:
        return "file of type " + type;
    }
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

  private static SymbolScan scanSymbols(Elf elf) throws BadInputException {
    SymbolTable t = elf.symbols();
    Map<Integer, ExportType> ksymtabs = new HashMap<>();
    for (Elf.Section s : elf.sections()) {
      ExportType type = ExportType.ofSection(s.name());
      if (type != null) {
        ksymtabs.put(s.index(), type);
      }
    }
    Map<Integer, Bytes> sectionCache = new HashMap<>();
    boolean sparc = elf.machine() == ElfArch.EM_SPARCV9;
    SymbolScan out = new SymbolScan();
    for (int i = 1; i < t.count(); i++) {
      int shndx = t.shndx(i);
      if (shndx == Elf.SHN_UNDEF) {
        if (t.hasName(i) && !(sparc && t.type(i) == SymbolTable.STT_REGISTER)) {
          out.imports.add(new Import(t.name(i), t.bind(i) == SymbolTable.STB_WEAK));
        }
        continue;
      }
      if (t.type(i) == SymbolTable.STT_SECTION) {
        continue;
      }
      if (t.nameStartsWith(i, KSYMTAB)) {
        ExportType type = ksymtabs.get(shndx);
        if (type != null) {
          out.exports.put(t.nameAfter(i, KSYMTAB.length), type);
        }
      } else if (t.nameStartsWith(i, CRC)) {
        String name = t.nameAfter(i, CRC.length);
        long value;
        if (shndx == Elf.SHN_ABS) {
          value = t.value(i) & 0xffffffffL;
        } else {
          Bytes sec = sectionBytes(elf, shndx, sectionCache);
          value = sec.u32(t.value(i) - (elf.type() == Elf.ET_REL ? 0 : elf.section(shndx).addr()));
        }
        out.crcs.put(name, Crc.of(value));
      } else if (t.nameStartsWith(i, KSTRTABNS) && shndx < Elf.SHN_LORESERVE) {
        Bytes sec = sectionBytes(elf, shndx, sectionCache);
        String ns = sec.cstring(t.value(i), sec.size());
        if (!ns.isEmpty()) {
          out.namespaces.put(t.nameAfter(i, KSTRTABNS.length), ns);
        }
      }
    }
    return out;
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
