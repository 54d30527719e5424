package org.kmodkit.testkit;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Writes synthetic kernel modules: relocatable ELF files with the sections the loader reads
 * (.gnu.linkonce.this_module, .modinfo, __versions, extended versions, __ksymtab*, __kcrctab*,
 * __ksymtab_strings, .symtab), in any ELF class and byte order, optionally signed and compressed.
 * Independent of kmodkit's readers, so tests of the readers are not circular.
 */
public final class KoBuilder {
  public static final int EM_386 = 3;
  public static final int EM_PPC64 = 21;
  public static final int EM_S390 = 22;
  public static final int EM_X86_64 = 62;
  public static final int EM_AARCH64 = 183;

  /** How exports are laid out. */
  public enum ExportLayout {
    /** 5.19+: __crc_X section-relative in __kcrctab, __kstrtabns_X for namespaces. */
    MODERN,
    /** 4.x: __crc_X absolute (SHN_ABS) symbols whose value is the CRC, no namespaces. */
    ABSOLUTE_CRC
  }

  /** An exported symbol. */
  public record Export(String name, long crc, boolean gpl, String namespace) {}

  private final String name;
  private int bits = 64;
  private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
  private int machine = EM_X86_64;
  private final List<String[]> modinfo = new ArrayList<>();
  private final Map<String, Long> versions = new LinkedHashMap<>();
  private final Map<String, Long> extVersions = new LinkedHashMap<>();
  private boolean withVersions = true;
  private final List<String> imports = new ArrayList<>();
  private final List<String> weakImports = new ArrayList<>();
  private final List<Export> exports = new ArrayList<>();
  private ExportLayout layout = ExportLayout.MODERN;
  private byte[] pkcs7;
  private String compression = "none";
  private final Map<String, byte[]> extraSections = new LinkedHashMap<>();
  private boolean thisModule = true;

  private KoBuilder(String name) {
    this.name = name;
  }

  /** A module called {@code name}, x86_64, GPL, with a 6.1-style vermagic. */
  public static KoBuilder module(String name) {
    KoBuilder b = new KoBuilder(name);
    b.modinfo("license", "GPL");
    b.modinfo("depends", "");
    b.modinfo("name", name);
    b.modinfo("vermagic", "6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions ");
    return b;
  }

  public KoBuilder bits(int bits) {
    this.bits = bits;
    return this;
  }

  public KoBuilder bigEndian() {
    this.order = ByteOrder.BIG_ENDIAN;
    return this;
  }

  public KoBuilder machine(int machine) {
    this.machine = machine;
    return this;
  }

  /** Adds (or, for name/vermagic/license/depends, replaces) a .modinfo entry. */
  public KoBuilder modinfo(String key, String value) {
    if (List.of("name", "vermagic", "license", "depends").contains(key)) {
      modinfo.removeIf(kv -> kv[0].equals(key));
    }
    if (value != null) {
      modinfo.add(new String[] {key, value});
    }
    return this;
  }

  public KoBuilder vermagic(String v) {
    return modinfo("vermagic", v);
  }

  public KoBuilder license(String l) {
    return modinfo("license", l);
  }

  public KoBuilder depends(String csv) {
    return modinfo("depends", csv);
  }

  public KoBuilder importNs(String ns) {
    modinfo.add(new String[] {"import_ns", ns});
    return this;
  }

  /** The module uses {@code symbol} and was built against {@code crc}. */
  public KoBuilder uses(String symbol, long crc) {
    imports.add(symbol);
    versions.put(symbol, crc);
    return this;
  }

  /** The module uses {@code symbol} but has no version for it. */
  public KoBuilder usesUnversioned(String symbol) {
    imports.add(symbol);
    return this;
  }

  public KoBuilder usesWeak(String symbol, long crc) {
    weakImports.add(symbol);
    versions.put(symbol, crc);
    return this;
  }

  /** A __versions entry with no matching undefined symbol (module_layout is one). */
  public KoBuilder version(String symbol, long crc) {
    versions.put(symbol, crc);
    return this;
  }

  /** An extended-modversions entry (Linux 6.14+), written to __version_ext_crcs/__version_ext_names. */
  public KoBuilder extendedVersion(String symbol, long crc) {
    extVersions.put(symbol, crc);
    return this;
  }

  public KoBuilder usesExtended(String symbol, long crc) {
    imports.add(symbol);
    extVersions.put(symbol, crc);
    return this;
  }

  /** Drops the __versions section altogether (what modprobe --force-modversion strips). */
  public KoBuilder withoutVersions() {
    this.withVersions = false;
    return this;
  }

  public KoBuilder exports(String symbol, long crc) {
    exports.add(new Export(symbol, crc, false, ""));
    return this;
  }

  public KoBuilder exportsGpl(String symbol, long crc) {
    exports.add(new Export(symbol, crc, true, ""));
    return this;
  }

  public KoBuilder exportsNs(String symbol, long crc, boolean gpl, String namespace) {
    exports.add(new Export(symbol, crc, gpl, namespace));
    return this;
  }

  public KoBuilder layout(ExportLayout layout) {
    this.layout = layout;
    return this;
  }

  public KoBuilder section(String sectionName, byte[] contents) {
    extraSections.put(sectionName, contents);
    return this;
  }

  public KoBuilder withoutThisModule() {
    this.thisModule = false;
    return this;
  }

  /** Appends a PKCS#7 module signature as sign-file does. */
  public KoBuilder signed(String signerCn, byte[] serial, String digestOid, byte[] signature) {
    this.pkcs7 = Der.modulePkcs7(signerCn, serial, digestOid, signature);
    return this;
  }

  /** "none", "xz", "zst" or "gz". */
  public KoBuilder compressed(String how) {
    this.compression = how;
    return this;
  }

  public Path writeTo(Path dir) {
    String suffix = compression.equals("none") ? "" : "." + compression;
    Path p = dir.resolve(name + ".ko" + suffix);
    try {
      Files.createDirectories(dir);
      Files.write(p, build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  public byte[] build() {
    byte[] elf = buildElf();
    if (pkcs7 != null) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(elf);
      out.writeBytes(pkcs7);
      // struct module_signature: algo, hash, id_type=PKEY_ID_PKCS7(2), signer_len, key_id_len, pad[3], be32 sig_len
      out.writeBytes(new byte[] {0, 0, 2, 0, 0, 0, 0, 0});
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt(pkcs7.length).array());
      out.writeBytes("~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII));
      elf = out.toByteArray();
    }
    return compress(elf);
  }

  private byte[] compress(byte[] data) {
    try {
      switch (compression) {
        case "none":
          return data;
        case "xz": {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          try (XZOutputStream xz = new XZOutputStream(out, new LZMA2Options())) {
            xz.write(data);
          }
          return out.toByteArray();
        }
        case "gz": {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
          }
          return out.toByteArray();
        }
        case "zst":
          return Zstd.compress(data);
        default:
          throw new IllegalArgumentException("compression " + compression);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- ELF writing ----

  private static final class Sec {
    final String name;
    final int type;
    final byte[] data;
    int link;
    int info;
    int entsize;
    long flags;
    int nameOff;
    long offset;

    Sec(String name, int type, byte[] data) {
      this.name = name;
      this.type = type;
      this.data = data;
    }
  }

  private static final class Sym {
    final String name;
    final int bind;
    final int type;
    final int shndx;
    final long value;

    Sym(String name, int bind, int type, int shndx, long value) {
      this.name = name;
      this.bind = bind;
      this.type = type;
      this.shndx = shndx;
      this.value = value;
    }
  }

  private ByteBuffer buf(int size) {
    return ByteBuffer.allocate(size).order(order);
  }

  private byte[] buildElf() {
    int word = bits / 8;
    List<Sec> secs = new ArrayList<>();
    secs.add(new Sec("", 0, new byte[0]));
    int thisModuleIdx = -1;
    if (thisModule) {
      ByteBuffer tm = buf(bits == 64 ? 0x380 : 0x200);
      byte[] n = name.getBytes(StandardCharsets.US_ASCII);
      tm.position(bits == 64 ? 24 : 12);
      tm.put(n, 0, Math.min(n.length, 55));
      thisModuleIdx = secs.size();
      secs.add(new Sec(".gnu.linkonce.this_module", 1, tm.array()));
    }
    ByteArrayOutputStream mi = new ByteArrayOutputStream();
    for (String[] kv : modinfo) {
      mi.writeBytes((kv[0] + "=" + kv[1]).getBytes(StandardCharsets.UTF_8));
      mi.write(0);
    }
    secs.add(new Sec(".modinfo", 1, mi.toByteArray()));
    if (withVersions && (!versions.isEmpty() || extVersions.isEmpty())) {
      ByteBuffer v = buf(64 * versions.size());
      for (Map.Entry<String, Long> e : versions.entrySet()) {
        int at = v.position();
        if (word == 8) {
          v.putLong(e.getValue());
        } else {
          v.putInt((int) (long) e.getValue());
        }
        byte[] n = e.getKey().getBytes(StandardCharsets.US_ASCII);
        v.put(n, 0, Math.min(n.length, 64 - word - 1));
        v.position(at + 64);
      }
      secs.add(new Sec("__versions", 1, v.array()));
    }
    if (withVersions && !extVersions.isEmpty()) {
      ByteBuffer c = buf(4 * extVersions.size());
      ByteArrayOutputStream names = new ByteArrayOutputStream();
      for (Map.Entry<String, Long> e : extVersions.entrySet()) {
        c.putInt((int) (long) e.getValue());
        names.writeBytes(e.getKey().getBytes(StandardCharsets.US_ASCII));
        names.write(0);
      }
      secs.add(new Sec("__version_ext_crcs", 1, c.array()));
      secs.add(new Sec("__version_ext_names", 1, names.toByteArray()));
    }
    List<Sym> locals = new ArrayList<>();
    List<Sym> globals = new ArrayList<>();
    if (!exports.isEmpty()) {
      List<Export> plain = exports.stream().filter(e -> !e.gpl()).sorted((a, b) -> a.name().compareTo(b.name())).toList();
      List<Export> gpl = exports.stream().filter(Export::gpl).sorted((a, b) -> a.name().compareTo(b.name())).toList();
      ByteArrayOutputStream strings = new ByteArrayOutputStream();
      Map<String, Integer> strOff = new LinkedHashMap<>();
      Map<String, Integer> nsOff = new LinkedHashMap<>();
      for (Export e : exports) {
        strOff.put(e.name(), strings.size());
        strings.writeBytes(e.name().getBytes(StandardCharsets.US_ASCII));
        strings.write(0);
        nsOff.put(e.name(), strings.size());
        strings.writeBytes(e.namespace().getBytes(StandardCharsets.US_ASCII));
        strings.write(0);
      }
      int stringsIdx = -1;
      int entry = 12; // PREL32 value, name, namespace
      for (int g = 0; g < 2; g++) {
        List<Export> list = g == 0 ? plain : gpl;
        if (list.isEmpty()) {
          continue;
        }
        int symtabIdx = secs.size();
        secs.add(new Sec(g == 0 ? "__ksymtab" : "__ksymtab_gpl", 1, new byte[entry * list.size()]));
        ByteBuffer crcs = buf(4 * list.size());
        for (Export e : list) {
          crcs.putInt((int) e.crc());
        }
        int crcIdx = secs.size();
        secs.add(new Sec(g == 0 ? "__kcrctab" : "__kcrctab_gpl", 1, crcs.array()));
        for (int i = 0; i < list.size(); i++) {
          Export e = list.get(i);
          locals.add(new Sym("__ksymtab_" + e.name(), 0, 0, symtabIdx, (long) i * entry));
          if (layout == ExportLayout.MODERN) {
            locals.add(new Sym("__crc_" + e.name(), 0, 0, crcIdx, 4L * i));
          } else {
            globals.add(new Sym("__crc_" + e.name(), 1, 0, 0xfff1, e.crc()));
          }
          globals.add(new Sym(e.name(), 1, 2, 0, 0)); // the function itself: defined in .text normally; 0 = placeholder section fixed below
        }
      }
      stringsIdx = secs.size();
      secs.add(new Sec("__ksymtab_strings", 1, strings.toByteArray()));
      for (Export e : exports) {
        locals.add(new Sym("__kstrtab_" + e.name(), 0, 1, stringsIdx, strOff.get(e.name())));
        if (layout == ExportLayout.MODERN) {
          locals.add(new Sym("__kstrtabns_" + e.name(), 0, 1, stringsIdx, nsOff.get(e.name())));
        }
      }
    }
    for (Map.Entry<String, byte[]> e : extraSections.entrySet()) {
      secs.add(new Sec(e.getKey(), 1, e.getValue()));
    }
    int textIdx = secs.size();
    secs.add(new Sec(".text", 1, new byte[16]));
    // exported functions live in .text
    List<Sym> fixed = new ArrayList<>();
    for (Sym s : globals) {
      fixed.add(s.type == 2 && s.shndx == 0 ? new Sym(s.name, 1, 2, textIdx, 0) : s);
    }
    globals = fixed;
    if (thisModuleIdx > 0) {
      globals.add(new Sym("__this_module", 1, 1, thisModuleIdx, 0));
    }
    for (String s : imports) {
      globals.add(new Sym(s, 1, 0, 0, 0));
    }
    for (String s : weakImports) {
      globals.add(new Sym(s, 2, 0, 0, 0));
    }
    // .symtab + .strtab
    ByteArrayOutputStream strtab = new ByteArrayOutputStream();
    strtab.write(0);
    List<Sym> all = new ArrayList<>();
    all.add(new Sym("", 0, 0, 0, 0));
    all.addAll(locals);
    all.addAll(globals);
    int symSize = bits == 64 ? 24 : 16;
    ByteBuffer st = buf(symSize * all.size());
    for (Sym s : all) {
      int nameOff = 0;
      if (!s.name.isEmpty()) {
        nameOff = strtab.size();
        strtab.writeBytes(s.name.getBytes(StandardCharsets.US_ASCII));
        strtab.write(0);
      }
      int info = (s.bind << 4) | s.type;
      if (bits == 64) {
        st.putInt(nameOff).put((byte) info).put((byte) 0).putShort((short) s.shndx).putLong(s.value).putLong(0);
      } else {
        st.putInt(nameOff).putInt((int) s.value).putInt(0).put((byte) info).put((byte) 0).putShort((short) s.shndx);
      }
    }
    int symtabIdx = secs.size();
    Sec symtab = new Sec(".symtab", 2, st.array());
    symtab.link = symtabIdx + 1;
    symtab.info = 1 + locals.size();
    symtab.entsize = symSize;
    secs.add(symtab);
    secs.add(new Sec(".strtab", 3, strtab.toByteArray()));
    ByteArrayOutputStream shstr = new ByteArrayOutputStream();
    shstr.write(0);
    Sec shstrtab = new Sec(".shstrtab", 3, null);
    secs.add(shstrtab);
    for (Sec s : secs) {
      if (!s.name.isEmpty()) {
        s.nameOff = shstr.size();
        shstr.writeBytes(s.name.getBytes(StandardCharsets.US_ASCII));
        shstr.write(0);
      }
    }
    byte[] shstrData = shstr.toByteArray();
    // layout: header, section data (8-aligned), section table
    int ehsize = bits == 64 ? 64 : 52;
    long off = ehsize;
    for (Sec s : secs) {
      byte[] d = s == shstrtab ? shstrData : s.data;
      if (s.type == 0) {
        continue;
      }
      off = (off + 7) & ~7L;
      s.offset = off;
      off += d.length;
    }
    long shoff = (off + 7) & ~7L;
    int shentsize = bits == 64 ? 64 : 40;
    ByteBuffer out = buf((int) (shoff + (long) shentsize * secs.size()));
    out.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (bits == 64 ? 2 : 1), (byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 2), 1, 0});
    out.position(16);
    out.putShort((short) 1).putShort((short) machine).putInt(1);
    if (bits == 64) {
      out.putLong(0).putLong(0).putLong(shoff).putInt(0).putShort((short) ehsize).putShort((short) 0).putShort((short) 0).putShort((short) shentsize).putShort((short) secs.size()).putShort((short) (secs.size() - 1));
    } else {
      out.putInt(0).putInt(0).putInt((int) shoff).putInt(0).putShort((short) ehsize).putShort((short) 0).putShort((short) 0).putShort((short) shentsize).putShort((short) secs.size()).putShort((short) (secs.size() - 1));
    }
    for (Sec s : secs) {
      byte[] d = s == shstrtab ? shstrData : s.data;
      if (s.type != 0) {
        out.position((int) s.offset);
        out.put(d);
      }
    }
    out.position((int) shoff);
    for (Sec s : secs) {
      byte[] d = s == shstrtab ? shstrData : s.data;
      long size = s.type == 0 ? 0 : d.length;
      long flags = s.type == 1 ? 2 : 0; // SHF_ALLOC
      if (bits == 64) {
        out.putInt(s.nameOff).putInt(s.type).putLong(flags).putLong(0).putLong(s.offset).putLong(size).putInt(s.link).putInt(s.info).putLong(s.type == 0 ? 0 : 8).putLong(s.entsize);
      } else {
        out.putInt(s.nameOff).putInt(s.type).putInt((int) flags).putInt(0).putInt((int) s.offset).putInt((int) size).putInt(s.link).putInt(s.info).putInt(s.type == 0 ? 0 : 8).putInt(s.entsize);
      }
    }
    return out.array();
  }
}
