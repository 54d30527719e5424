package org.kmodkit.core.image;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.CorruptFileException;
import org.kmodkit.core.abi.Crc;
import org.kmodkit.core.abi.ExportType;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.elf.Elf;
import org.kmodkit.core.io.Bytes;

/**
 * The export table of a linked kernel (vmlinux): {@code struct kernel_symbol} arrays in
 * {@code __ksymtab} / {@code __ksymtab_gpl}, the parallel CRC arrays in {@code __kcrctab*}, names
 * and namespaces in {@code __ksymtab_strings}. Every layout since 4.x is tried and the one whose
 * every name lands in {@code __ksymtab_strings} wins:
 *
 * <ul>
 *   <li>PREL32 (CONFIG_HAVE_ARCH_PREL32_RELOCATIONS, 4.19+): 32-bit offsets, each relative to
 *       its own field — 8-byte entries (value, name) before 5.4, 12-byte (value, name, namespace)
 *       after;
 *   <li>absolute pointers: 2 or 3 words (16/24 bytes on 64-bit, 8/12 on 32-bit).
 * </ul>
 *
 * {@code __kcrctab} entries are 32-bit values (4.10+) or words (older), one per entry.
 */
final class ExportTable {
  private ExportTable() {}

  private enum Layout {
    PREL32_NS(4, 3, true),
    PREL32(4, 2, true),
    ABS_NS(0, 3, false),
    ABS(0, 2, false);

    final int field; // 0 = the ELF word size
    final int fields;
    final boolean relative;

    Layout(int field, int fields, boolean relative) {
      this.field = field;
      this.fields = fields;
      this.relative = relative;
    }
  }

  static List<KernelSymbol> read(Elf elf) throws BadInputException {
    Optional<Elf.Section> strings = elf.section("__ksymtab_strings");
    if (strings.isEmpty()) {
      throw new BadInputException(elf.source(), "has no __ksymtab_strings section: not a kernel built with modules, or its sections were stripped; use the kernel's Module.symvers or symvers.gz instead");
    }
    Elf.Section str = strings.get();
    Bytes strBytes = elf.contents(str);
    List<KernelSymbol> out = new ArrayList<>(16384);
    boolean any = false;
    for (ExportType type : ExportType.values()) {
      Optional<Elf.Section> tab = elf.section(type.section());
      if (tab.isEmpty() || tab.get().size() == 0) {
        continue;
      }
      any = true;
      Optional<Elf.Section> crcs = elf.section(type.section().replace("__ksymtab", "__kcrctab"));
      out.addAll(readTable(elf, type, tab.get(), crcs.orElse(null), str, strBytes));
    }
    if (!any) {
      throw new BadInputException(elf.source(), "has no __ksymtab sections (the kernel exports nothing?); use the kernel's Module.symvers instead");
    }
    return out;
  }

  private static List<KernelSymbol> readTable(Elf elf, ExportType type, Elf.Section tab, Elf.Section crcSec, Elf.Section str, Bytes strBytes) throws BadInputException {
    Bytes t = elf.contents(tab);
    int word = elf.wordSize();
    CorruptFileException last = null;
    for (Layout layout : Layout.values()) {
      int field = layout.field == 0 ? word : layout.field;
      int entry = field * layout.fields;
      if (t.size() % entry != 0) {
        continue;
      }
      try {
        return decode(elf, type, tab, t, layout, field, entry, crcSec, str, strBytes);
      } catch (CorruptFileException e) {
        last = e; // not this layout: a name outside __ksymtab_strings
      }
    }
    throw new CorruptFileException(elf.source(), tab.offset(), tab.name() + " matches no known struct kernel_symbol layout" + (last == null ? "" : " (" + last.getMessage() + ")"));
  }

  private static List<KernelSymbol> decode(Elf elf, ExportType type, Elf.Section tab, Bytes t, Layout layout, int field, int entry, Elf.Section crcSec, Elf.Section str, Bytes strBytes) throws BadInputException {
    int count = (int) (t.size() / entry);
    Bytes crcs = null;
    int crcSize = 0;
    if (crcSec != null && crcSec.size() > 0) {
      crcs = elf.contents(crcSec);
      if (crcs.size() == 4L * count) {
        crcSize = 4;
      } else if (crcs.size() == (long) elf.wordSize() * count) {
        crcSize = elf.wordSize();
      } else {
        throw t.corrupt(0, crcSec.name() + " holds " + crcs.size() + " bytes for " + count + " symbols");
      }
    }
    List<KernelSymbol> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long at = (long) i * entry;
      String name = string(elf, t, tab, layout, at + field, field, str, strBytes, false);
      String ns = layout.fields == 3 ? string(elf, t, tab, layout, at + 2L * field, field, str, strBytes, true) : "";
      Crc crc = null;
      if (crcs != null) {
        long v = crcSize == 4 ? crcs.u32((long) i * 4) : crcs.word((long) i * crcSize, crcSize);
        crc = Crc.of(v & 0xffffffffL);
      }
      out.add(new KernelSymbol(name, crc, KernelSymbol.VMLINUX, type, ns));
    }
    return out;
  }

  /** The string a name (or namespace) field points at; it must lie in __ksymtab_strings. */
  private static String string(Elf elf, Bytes t, Elf.Section tab, Layout layout, long fieldAt, int field, Elf.Section str, Bytes strBytes, boolean nullable) throws CorruptFileException {
    long target;
    if (layout.relative) {
      int rel = t.s32(fieldAt);
      if (rel == 0 && nullable) {
        return "";
      }
      target = tab.addr() + fieldAt + rel;
    } else {
      target = t.word(fieldAt, field);
      if (target == 0 && nullable) {
        return "";
      }
    }
    long off = target - str.addr();
    if (off < 0 || off >= str.size()) {
      throw t.corrupt(fieldAt, "symbol name at 0x" + Long.toHexString(target) + " lies outside __ksymtab_strings");
    }
    return strBytes.cstring(off, strBytes.size());
  }
}
