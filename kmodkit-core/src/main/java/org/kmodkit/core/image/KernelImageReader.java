package org.kmodkit.core.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.CorruptFileException;
import org.kmodkit.core.elf.Elf;
import org.kmodkit.core.elf.ElfArch;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.core.io.Compression;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.core.io.FileRanges;
import org.kmodkit.core.io.InputFiles;

/**
 * Reads a kernel image into a {@link KernelImage}: an x86 bzImage (setup header → compressed
 * payload → ELF vmlinux), a plain ELF vmlinux (e.g. from a -dbg package), or either compressed
 * whole with gzip/xz/zstd. Each step that fails says which one, naming the file.
 */
public final class KernelImageReader {
  /** The setup header up to and including payload_length (boot protocol 2.08+). */
  private static final int SETUP_HEADER_END = 0x250;

  private KernelImageReader() {}

  /** True when {@code head} (the first 0x210 bytes or more) looks like a kernel image. */
  public static boolean looksLikeImage(byte[] head) {
    if (Elf.isElf(head) && head.length > 17) {
      int type = head[5] == 2 ? (head[16] & 0xff) << 8 | (head[17] & 0xff) : (head[16] & 0xff) | (head[17] & 0xff) << 8;
      return type == Elf.ET_EXEC || type == Elf.ET_DYN; // a linked vmlinux; modules are ET_REL
    }
    return isBzImage(head) || foreignImage(head) != null;
  }

  /**
   * What kind of kernel image {@code b} is, by its boot magic, when it is one kmodkit recognises
   * but cannot read (no setup header leading to an ELF vmlinux); null otherwise.
   */
  static String foreignImage(byte[] b) {
    if (isArm64Image(b)) {
      return "an arm64 Image";
    }
    if (b.length >= 0x3c && b[0x38] == 'R' && b[0x39] == 'S' && b[0x3a] == 'C' && b[0x3b] == 0x05) {
      return "a RISC-V Image";
    }
    if (b.length >= 0x28 && le32(b, 0x24) == 0x016f2818) {
      return "an ARM zImage"; // arch/arm/boot/compressed/head.S: the zImage magic at 0x24
    }
    // arch/s390/boot/ipl_data.c: the 31-bit IPL PSW, then two READ IPL CCWs (what file(1) matches)
    if (b.length >= 24 && be32(b, 0) == 0x00080000 && be32(b, 8) == 0x02000018 && be32(b, 16) == 0x02000068) {
      return "an s390x kernel image";
    }
    if (b.length >= 8 && b[0] == 'M' && b[1] == 'Z' && !isBzImage(b)) {
      // drivers/firmware/efi/libstub/zboot-header.S: "zimg" after "MZ" in an EFI zboot image
      return b[4] == 'z' && b[5] == 'i' && b[6] == 'm' && b[7] == 'g' ? "an EFI zboot image" : "a PE/EFI image without an x86 bzImage header";
    }
    return null;
  }

  private static long le32(byte[] b, int at) {
    return ByteBuffer.wrap(b, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
  }

  private static long be32(byte[] b, int at) {
    return ByteBuffer.wrap(b, at, 4).order(ByteOrder.BIG_ENDIAN).getInt() & 0xffffffffL;
  }

  static boolean isBzImage(byte[] b) {
    return b.length >= 0x206 && b[0x202] == 'H' && b[0x203] == 'd' && b[0x204] == 'r' && b[0x205] == 'S';
  }

  static boolean isArm64Image(byte[] b) {
    return b.length >= 0x3c && b[0x38] == 'A' && b[0x39] == 'R' && b[0x3a] == 'M' && b[0x3b] == 0x64;
  }

  public static KernelImage read(Path file) throws BadInputException {
    return parse(file.toString(), InputFiles.readAll(file, file.toString()));
  }

  public static KernelImage parse(String source, byte[] data) throws BadInputException {
    Compression whole = Compression.detect(data.length >= 6 ? java.util.Arrays.copyOf(data, 6) : data);
    if (whole != Compression.NONE) {
      return parse(source, whole.decompress(source, data, ExpansionLimit.KERNEL_IMAGE));
    }
    String foreign = foreignImage(data);
    if (foreign != null) {
      throw unreadable(source, foreign);
    }
    if (isBzImage(data)) {
      return fromBzImage(source, data);
    }
    if (Elf.isElf(data)) {
      return fromVmlinux(source, data, 0, data.length, PayloadCompression.NONE, null, null, "ELF vmlinux");
    }
    throw new ImageWithoutExportsException(source, "is not a kernel image (no bzImage 'HdrS' header, no ELF magic): pass a vmlinuz, a vmlinux, or the kernel's Module.symvers");
  }

  /**
   * A kernel image of a kind kmodkit recognises (an arm64 Image, an ARM zImage, …) but cannot read
   * exports from: an error when it is the only ABI source, a note beside a symvers.
   */
  private static BadInputException unreadable(String source, String kind) {
    return new ImageWithoutExportsException(source, "is " + kind + "; kmodkit reads x86 bzImage and ELF vmlinux; pass the kernel's Module.symvers or headers package instead");
  }

  private static KernelImage fromBzImage(String source, byte[] d) throws BadInputException {
    // "HdrS" alone (0x206 bytes) does not mean the setup header's fields up to payload_length are there
    if (d.length < SETUP_HEADER_END) {
      throw new CorruptFileException(source, d.length, "bzImage setup header ends before its payload fields (0x" + Integer.toHexString(SETUP_HEADER_END) + " bytes); the image is truncated");
    }
    ByteBuffer h = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
    int setupSects = d[0x1f1] & 0xff;
    if (setupSects == 0) {
      setupSects = 4;
    }
    int protocol = h.getShort(0x206) & 0xffff;
    String banner = null;
    int versionPtr = h.getShort(0x20e) & 0xffff;
    if (versionPtr != 0 && versionPtr + 0x200 < d.length) {
      int at = versionPtr + 0x200;
      int end = at;
      while (end < d.length && end < at + 512 && d[end] != 0) {
        end++;
      }
      banner = new String(d, at, end - at, StandardCharsets.US_ASCII);
    }
    if (protocol < 0x208 || d.length < 0x250) {
      throw new BadInputException(source, "is a bzImage of boot protocol " + Integer.toHexString(protocol) + " (before 2.08 there is no payload pointer); use the kernel's Module.symvers instead");
    }
    long payloadOffset = h.getInt(0x248) & 0xffffffffL;
    long payloadLength = h.getInt(0x24c) & 0xffffffffL;
    long start = (setupSects + 1L) * 512 + payloadOffset;
    if (payloadLength == 0 || start + payloadLength > d.length) {
      throw new BadInputException(source, "bzImage payload (offset " + start + ", " + payloadLength + " bytes) lies beyond the " + d.length + "-byte file: the image is truncated; re-download it");
    }
    PayloadCompression c = PayloadCompression.detect(d, (int) start);
    if (c == null) {
      // the magic shown is what the file holds: a payload in its last bytes has fewer than four
      StringBuilder magic = new StringBuilder();
      for (int i = (int) start; i < Math.min(start + 4, d.length); i++) {
        magic.append(String.format("%02x", d[i]));
      }
      throw new BadInputException(source, "bzImage payload at offset " + start + " has an unknown compression (magic " + magic + ")");
    }
    String release = banner == null ? null : banner.split(" ", 2)[0];
    if (c == PayloadCompression.LZ4) {
      // independent 8 MiB blocks: decompress only those holding the ELF header, section table and export sections
      if (payloadLength < 8) {
        throw new CorruptFileException(source, start, "lz4 payload of " + payloadLength + " bytes is too short to hold a block and its size trailer; the image is corrupt");
      }
      long size = h.getInt((int) (start + payloadLength - 4)) & 0xffffffffL;
      return fromVmlinux(source, new Lz4LegacyRanges(source, d, (int) start, (int) payloadLength - 4, size), c, release, banner, "bzImage");
    }
    byte[] vmlinux = c.decompress(source, d, (int) start, (int) payloadLength);
    return fromVmlinux(source, FileRanges.of(source, vmlinux), c, release, banner, "bzImage");
  }

  private static KernelImage fromVmlinux(String source, byte[] v, int off, int len, PayloadCompression c, String release, String banner, String format) throws BadInputException {
    return fromVmlinux(source, FileRanges.of(source, ByteBuffer.wrap(v, off, len)), c, release, banner, format);
  }

  private static KernelImage fromVmlinux(String source, FileRanges v, PayloadCompression c, String release, String banner, String format) throws BadInputException {
    long len = v.size();
    if (len < 4 || !Elf.isElf(v.read(0, 4, ByteOrder.LITTLE_ENDIAN, "ELF magic").toArray())) {
      throw new BadInputException(source, "the " + c.label() + " payload does not decompress to an ELF vmlinux; the image is corrupt");
    }
    Elf elf = Elf.parse(v, len);
    if (elf.type() == Elf.ET_REL) {
      throw new BadInputException(source, "is a kernel module, not a kernel image; pass it as a module to check");
    }
    if (elf.section(".image").isPresent() && elf.section("__ksymtab_strings").isEmpty()) {
      // arch/mips/boot/compressed: vmlinuz is an ELF decompressor whose .image section holds vmlinux compressed
      throw unreadable(source, "a MIPS vmlinuz (an ELF boot wrapper whose .image section holds the compressed vmlinux)");
    }
    if (elf.section(".gnu.linkonce.this_module").isPresent()) {
      // a module's sections in a linked ELF: its exports would read as garbage, as neither kind
      throw ModuleReader.notRelocatable(source, elf.type());
    }
    ElfArch arch = new ElfArch(elf.is64() ? 64 : 32, elf.order(), elf.machine());
    return new KernelImage(source, release, banner, format, c, arch, len, ExportTable.read(elf));
  }
}
