package org.kmodkit.testkit;

import com.github.luben.zstd.Zstd;
import io.airlift.compress.lz4.Lz4Compressor;
import io.airlift.compress.lzo.LzoCompressor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.LZMAOutputStream;
import org.tukaani.xz.XZOutputStream;

/**
 * Writes synthetic kernel images: a linked vmlinux ELF (ET_EXEC) with an export table in any of
 * the kernel's struct kernel_symbol layouts, optionally wrapped in an x86 bzImage whose payload is
 * compressed the way the kernel build does it (gzip; bzip2, lzma, xz, lzo, lz4 legacy and zstd with
 * the 4-byte size appended).
 */
public final class ImageBuilder {
  /** struct kernel_symbol layouts. */
  public enum Layout {
    PREL32_NS(4, 3, true),
    PREL32(4, 2, true),
    ABS_NS(0, 3, false),
    ABS(0, 2, false);

    final int field;
    final int fields;
    final boolean relative;

    Layout(int field, int fields, boolean relative) {
      this.field = field;
      this.fields = fields;
      this.relative = relative;
    }
  }

  /** One export: name, CRC, GPL-only, namespace. */
  public record Export(String name, long crc, boolean gpl, String namespace) {}

  private int bits = 64;
  private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
  private int machine = KoBuilder.EM_X86_64;
  private Layout layout = Layout.PREL32_NS;
  private int crcSize = 4;
  private final List<Export> exports = new ArrayList<>();
  private boolean withStrings = true;
  private int textSize = 64;

  public static ImageBuilder vmlinux() {
    return new ImageBuilder();
  }

  public ImageBuilder bits(int bits) {
    this.bits = bits;
    return this;
  }

  public ImageBuilder bigEndian() {
    this.order = ByteOrder.BIG_ENDIAN;
    return this;
  }

  public ImageBuilder machine(int machine) {
    this.machine = machine;
    return this;
  }

  public ImageBuilder layout(Layout layout) {
    this.layout = layout;
    return this;
  }

  /** Size of a __kcrctab entry: 4 (4.10+) or the word size (older). */
  public ImageBuilder crcSize(int size) {
    this.crcSize = size;
    return this;
  }

  public ImageBuilder export(String name, long crc, boolean gpl, String namespace) {
    exports.add(new Export(name, crc, gpl, namespace));
    return this;
  }

  /** Makes .text this big (sections after it move up): exercises payloads of many blocks. */
  public ImageBuilder textSize(int bytes) {
    this.textSize = bytes;
    return this;
  }

  public ImageBuilder withoutStrings() {
    this.withStrings = false;
    return this;
  }

  public List<Export> exports() {
    return List.copyOf(exports);
  }

  private static final class Sec {
    final String name;
    final byte[] data;
    final long addr;
    long offset;
    int nameOff;

    Sec(String name, byte[] data, long addr) {
      this.name = name;
      this.data = data;
      this.addr = addr;
    }
  }

  /** The vmlinux ELF. */
  public byte[] elf() {
    int word = bits / 8;
    long base = bits == 64 ? 0xffffffff81000000L : 0xc1000000L;
    int field = layout.field == 0 ? word : layout.field;
    int entry = field * layout.fields;
    List<Export> plain = exports.stream().filter(e -> !e.gpl()).sorted((a, b) -> a.name().compareTo(b.name())).toList();
    List<Export> gpl = exports.stream().filter(Export::gpl).sorted((a, b) -> a.name().compareTo(b.name())).toList();
    long text = base;
    long ksymtab = base + 0x10000 + textSize;
    long ksymtabGpl = ksymtab + 0x10000 + (long) entry * plain.size();
    long kcrctab = ksymtabGpl + 0x10000 + (long) entry * gpl.size();
    long kcrctabGpl = kcrctab + 0x1000 + (long) crcSize * plain.size();
    long strings = kcrctabGpl + 0x1000 + (long) crcSize * gpl.size();
    ByteArrayOutputStream str = new ByteArrayOutputStream();
    str.write(0);
    List<Sec> secs = new ArrayList<>();
    secs.add(new Sec("", new byte[0], 0));
    byte[] code = new byte[textSize];
    new java.util.Random(7).ints(textSize / 16, 0, 256).forEach(i -> code[(i * 7919) % textSize] = (byte) i);
    secs.add(new Sec(".text", code, text));
    java.util.Map<String, Long> nameAt = new java.util.HashMap<>();
    java.util.Map<String, Long> nsAt = new java.util.HashMap<>();
    for (Export e : exports) {
      nameAt.put(e.name(), strings + str.size());
      str.writeBytes(e.name().getBytes(StandardCharsets.US_ASCII));
      str.write(0);
      nsAt.put(e.name(), e.namespace().isEmpty() ? 0L : strings + str.size());
      if (!e.namespace().isEmpty()) {
        str.writeBytes(e.namespace().getBytes(StandardCharsets.US_ASCII));
        str.write(0);
      }
    }
    secs.add(new Sec("__ksymtab", table(plain, ksymtab, text, field, entry, nameAt, nsAt), ksymtab));
    if (!gpl.isEmpty()) {
      secs.add(new Sec("__ksymtab_gpl", table(gpl, ksymtabGpl, text, field, entry, nameAt, nsAt), ksymtabGpl));
    }
    secs.add(new Sec("__kcrctab", crcs(plain), kcrctab));
    if (!gpl.isEmpty()) {
      secs.add(new Sec("__kcrctab_gpl", crcs(gpl), kcrctabGpl));
    }
    if (withStrings) {
      secs.add(new Sec("__ksymtab_strings", str.toByteArray(), strings));
    }
    Sec shstr = new Sec(".shstrtab", null, 0);
    secs.add(shstr);
    ByteArrayOutputStream names = new ByteArrayOutputStream();
    names.write(0);
    for (Sec s : secs) {
      if (!s.name.isEmpty()) {
        s.nameOff = names.size();
        names.writeBytes(s.name.getBytes(StandardCharsets.US_ASCII));
        names.write(0);
      }
    }
    byte[] shstrData = names.toByteArray();
    int ehsize = bits == 64 ? 64 : 52;
    long off = ehsize;
    for (Sec s : secs) {
      byte[] d = s == shstr ? shstrData : s.data;
      if (s.name.isEmpty()) {
        continue;
      }
      off = (off + 7) & ~7L;
      s.offset = off;
      off += d.length;
    }
    long shoff = (off + 7) & ~7L;
    int shentsize = bits == 64 ? 64 : 40;
    ByteBuffer out = ByteBuffer.allocate((int) (shoff + (long) shentsize * secs.size())).order(order);
    out.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (bits == 64 ? 2 : 1), (byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 2), 1, 0});
    out.position(16);
    out.putShort((short) 2).putShort((short) machine).putInt(1);
    if (bits == 64) {
      out.putLong(text).putLong(0).putLong(shoff).putInt(0).putShort((short) ehsize).putShort((short) 0).putShort((short) 0).putShort((short) shentsize).putShort((short) secs.size()).putShort((short) (secs.size() - 1));
    } else {
      out.putInt((int) text).putInt(0).putInt((int) shoff).putInt(0).putShort((short) ehsize).putShort((short) 0).putShort((short) 0).putShort((short) shentsize).putShort((short) secs.size()).putShort((short) (secs.size() - 1));
    }
    for (Sec s : secs) {
      if (!s.name.isEmpty()) {
        out.position((int) s.offset);
        out.put(s == shstr ? shstrData : s.data);
      }
    }
    out.position((int) shoff);
    for (Sec s : secs) {
      long size = s.name.isEmpty() ? 0 : (s == shstr ? shstrData : s.data).length;
      int type = s.name.isEmpty() ? 0 : s == shstr ? 3 : 1;
      if (bits == 64) {
        out.putInt(s.nameOff).putInt(type).putLong(type == 1 ? 2 : 0).putLong(s.addr).putLong(s.offset).putLong(size).putInt(0).putInt(0).putLong(4).putLong(0);
      } else {
        out.putInt(s.nameOff).putInt(type).putInt(type == 1 ? 2 : 0).putInt((int) s.addr).putInt((int) s.offset).putInt((int) size).putInt(0).putInt(0).putInt(4).putInt(0);
      }
    }
    return out.array();
  }

  private byte[] table(List<Export> list, long tableAddr, long text, int field, int entry, java.util.Map<String, Long> nameAt, java.util.Map<String, Long> nsAt) {
    ByteBuffer b = ByteBuffer.allocate(entry * list.size()).order(order);
    for (int i = 0; i < list.size(); i++) {
      Export e = list.get(i);
      long at = tableAddr + (long) i * entry;
      long[] targets = {text + 16, nameAt.get(e.name()), nsAt.get(e.name())};
      for (int f = 0; f < layout.fields; f++) {
        long fieldAddr = at + (long) f * field;
        long t = targets[f];
        if (layout.relative) {
          b.putInt(t == 0 ? 0 : (int) (t - fieldAddr));
        } else if (field == 8) {
          b.putLong(t);
        } else {
          b.putInt((int) t);
        }
      }
    }
    return b.array();
  }

  private byte[] crcs(List<Export> list) {
    ByteBuffer b = ByteBuffer.allocate(crcSize * list.size()).order(order);
    for (Export e : list) {
      if (crcSize == 8) {
        b.putLong(e.crc());
      } else {
        b.putInt((int) e.crc());
      }
    }
    return b.array();
  }

  /** Compression names as the kernel's Kconfig spells them. */
  public static final List<String> COMPRESSIONS = List.of("gzip", "bzip2", "lzma", "xz", "lzo", "lz4", "zstd");

  /** {@code vmlinux} compressed as the kernel build does for a bzImage payload. */
  public static byte[] compress(byte[] vmlinux, String how) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      switch (how) {
        case "gzip":
          try (GZIPOutputStream s = new GZIPOutputStream(out)) {
            s.write(vmlinux);
          }
          return out.toByteArray(); // gzip carries its own size
        case "bzip2":
          try (OutputStream s = new BZip2CompressorOutputStream(out)) {
            s.write(vmlinux);
          }
          break;
        case "lzma":
          try (OutputStream s = new LZMAOutputStream(out, new LZMA2Options(), vmlinux.length)) {
            s.write(vmlinux);
          }
          break;
        case "xz":
          try (OutputStream s = new XZOutputStream(out, new LZMA2Options(), org.tukaani.xz.XZ.CHECK_CRC32)) {
            s.write(vmlinux);
          }
          break;
        case "zstd":
          out.writeBytes(Zstd.compress(vmlinux, 19));
          break;
        case "lz4":
          lz4Legacy(out, vmlinux);
          break;
        case "lzo":
          lzop(out, vmlinux);
          break;
        default:
          throw new IllegalArgumentException(how);
      }
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(vmlinux.length).array());
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void lz4Legacy(ByteArrayOutputStream out, byte[] data) {
    out.writeBytes(le(0x184c2102));
    Lz4Compressor c = new Lz4Compressor();
    for (int at = 0; at < data.length; at += 8 << 20) {
      int n = Math.min(8 << 20, data.length - at);
      byte[] buf = new byte[c.maxCompressedLength(n)];
      int m = c.compress(data, at, n, buf, 0, buf.length);
      out.writeBytes(le(m));
      out.write(buf, 0, m);
    }
  }

  private static void lzop(ByteArrayOutputStream out, byte[] data) {
    ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.BIG_ENDIAN);
    h.put(new byte[] {(byte) 0x89, 'L', 'Z', 'O', 0, '\r', '\n', 0x1a, '\n'});
    h.putShort((short) 0x1040).putShort((short) 0x2080).putShort((short) 0x0940).put((byte) 1).put((byte) 5);
    h.putInt(0x1); // F_ADLER32_D
    h.putInt(0x81a4).putInt(0).putInt(0).put((byte) 0).putInt(0); // mode, mtime, mtime_high, name len, header checksum
    out.write(h.array(), 0, h.position());
    LzoCompressor c = new LzoCompressor();
    for (int at = 0; at < data.length; at += 256 << 10) {
      int n = Math.min(256 << 10, data.length - at);
      byte[] buf = new byte[c.maxCompressedLength(n)];
      int m = c.compress(data, at, n, buf, 0, buf.length);
      java.util.zip.Adler32 a = new java.util.zip.Adler32();
      a.update(data, at, n);
      ByteBuffer bh = ByteBuffer.allocate(12).order(ByteOrder.BIG_ENDIAN).putInt(n).putInt(Math.min(m, n)).putInt((int) a.getValue());
      out.writeBytes(bh.array());
      if (m < n) {
        out.write(buf, 0, m);
      } else {
        out.write(data, at, n);
      }
    }
    out.writeBytes(new byte[4]);
  }

  private static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  /**
   * An x86 bzImage around {@code payload}: boot sector and setup header ("HdrS", protocol 2.15),
   * the kernel_version banner, payload_offset/length pointing at the payload.
   */
  public static byte[] bzImage(byte[] payload, String banner) {
    int setupSects = 4;
    int payloadOffset = 0x100; // decompressor code would sit before it
    int start = (setupSects + 1) * 512 + payloadOffset;
    ByteBuffer b = ByteBuffer.allocate(start + payload.length + 64).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0x1f1, (byte) setupSects);
    b.put(0x202, (byte) 'H').put(0x203, (byte) 'd').put(0x204, (byte) 'r').put(0x205, (byte) 'S');
    b.putShort(0x206, (short) 0x020f);
    int bannerAt = 0x400;
    b.putShort(0x20e, (short) (bannerAt - 0x200));
    byte[] text = banner.getBytes(StandardCharsets.US_ASCII);
    b.position(bannerAt);
    b.put(text);
    b.putInt(0x248, payloadOffset).putInt(0x24c, payload.length);
    b.position(start);
    b.put(payload);
    return b.array();
  }
}
