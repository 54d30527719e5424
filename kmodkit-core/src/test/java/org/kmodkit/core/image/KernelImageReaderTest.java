package org.kmodkit.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.abi.Crc;
import org.kmodkit.core.abi.ExportType;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.testkit.ImageBuilder;
import org.kmodkit.testkit.KoBuilder;

class KernelImageReaderTest {
  static final String BANNER = "6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)";

  static ImageBuilder sample() {
    return ImageBuilder.vmlinux()
        .export("_printk", 0x92997ed8L, false, "")
        .export("netif_rx", 0x0145819fL, false, "")
        .export("kmalloc_trace", 0x19010afaL, true, "")
        .export("cxl_thing", 0x44440000L, true, "CXL")
        .export("module_layout", 0x82164fbbL, false, "");
  }

  static List<KernelSymbol> expected(ImageBuilder b, boolean namespaces) {
    return b.exports().stream().map(e -> new KernelSymbol(e.name(), Crc.of(e.crc()), "vmlinux", e.gpl() ? ExportType.EXPORT_SYMBOL_GPL : ExportType.EXPORT_SYMBOL, namespaces ? e.namespace() : "")).toList();
  }

  static Stream<Arguments> layouts() {
    return Stream.of(ImageBuilder.Layout.values()).flatMap(l -> Stream.of(Arguments.of(l, 64, false), Arguments.of(l, 64, true), Arguments.of(l, 32, false), Arguments.of(l, 32, true)));
  }

  @ParameterizedTest(name = "{0} ELF{1} big-endian={2}")
  @MethodSource("layouts")
  void readsEveryStructKernelSymbolLayoutInEveryClassAndOrder(ImageBuilder.Layout layout, int bits, boolean big) throws Exception {
    ImageBuilder b = sample().layout(layout).bits(bits);
    if (big) {
      b.bigEndian().machine(KoBuilder.EM_S390);
    }
    boolean ns = layout == ImageBuilder.Layout.PREL32_NS || layout == ImageBuilder.Layout.ABS_NS;
    KernelImage img = KernelImageReader.parse("vmlinux", b.elf());
    assertThat(img.exports()).containsExactlyInAnyOrderElementsOf(expected(b, ns));
    assertThat(img.format()).isEqualTo("ELF vmlinux");
    assertThat(img.arch().bits()).isEqualTo(bits);
  }

  @Test
  void readsWordSizedCrcsOfOlderKernels() throws Exception {
    ImageBuilder b = sample().layout(ImageBuilder.Layout.ABS).crcSize(8);
    assertThat(KernelImageReader.parse("vmlinux", b.elf()).exports()).containsExactlyInAnyOrderElementsOf(expected(b, false));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "bzip2", "lzma", "xz", "lzo", "lz4", "zstd"})
  void readsABzImageWhateverItsPayloadCompression(String how) throws Exception {
    ImageBuilder b = sample();
    byte[] image = ImageBuilder.bzImage(ImageBuilder.compress(b.elf(), how), BANNER);
    KernelImage img = KernelImageReader.parse("vmlinuz", image);
    assertThat(img.release()).isEqualTo("6.1.0-56-cloud-amd64");
    assertThat(img.banner()).isEqualTo(BANNER);
    assertThat(img.compression().label()).isEqualTo(how.equals("gzip") ? "gzip" : how);
    assertThat(img.exports()).containsExactlyInAnyOrderElementsOf(expected(b, true));
    assertThat(img.namespaces()).containsExactly("CXL");
  }

  @ParameterizedTest
  @ValueSource(strings = {"lz4", "lzo", "zstd"})
  void readsPayloadsOfManyBlocks(String how) throws Exception {
    ImageBuilder b = sample().textSize(20 << 20);
    KernelImage img = KernelImageReader.parse("vmlinuz", ImageBuilder.bzImage(ImageBuilder.compress(b.elf(), how), BANNER));
    assertThat(img.exports()).containsExactlyInAnyOrderElementsOf(expected(b, true));
    assertThat(img.vmlinuxBytes()).isGreaterThan(20 << 20);
  }

  @Test
  void aTruncatedImageSaysSoAndNamesTheFile() {
    byte[] image = ImageBuilder.bzImage(ImageBuilder.compress(sample().elf(), "lz4"), BANNER);
    for (int cut : new int[] {100, 0x300, image.length - 200, image.length - 70}) {
      assertThatThrownBy(() -> KernelImageReader.parse("vmlinuz-x", Arrays.copyOf(image, cut)))
          .isInstanceOf(BadInputException.class).hasMessageStartingWith("vmlinuz-x: ");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bzip2", "lzma", "xz", "lzo", "zstd"})
  void aPayloadSizeTrailerOfZeroIsCorruptAndNamesTheFileAndOffset(String how) {
    // found by KernelImageReaderFuzzTest: the error named "payload" instead of the file
    byte[] payload = ImageBuilder.compress(sample().elf(), how);
    java.nio.ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(payload.length - 4, 0);
    byte[] image = ImageBuilder.bzImage(payload, BANNER);
    int trailerAt = 5 * 512 + 0x100 + payload.length - 4;
    assertThatThrownBy(() -> KernelImageReader.parse("vmlinuz-z", image))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("vmlinuz-z: ")
        .hasMessageContaining("uncompressed size of 0 bytes")
        .hasMessageContaining("at offset 0x" + Integer.toHexString(trailerAt));
  }

  @Test
  void aFileCutInsideTheBzImageSetupHeaderIsCorruptAndNamed() {
    // found by KernelImageReaderFuzzTest: "HdrS" at 0x202 was enough to read the u16 at 0x20e
    // (and past it) from a file that ends earlier, an IndexOutOfBoundsException
    byte[] image = ImageBuilder.bzImage(ImageBuilder.compress(sample().elf(), "gzip"), BANNER);
    for (int cut : new int[] {0x206, 0x20c, 0x24f}) {
      assertThatThrownBy(() -> KernelImageReader.parse("vmlinuz-h", Arrays.copyOf(image, cut)))
          .isInstanceOf(org.kmodkit.core.CorruptFileException.class)
          .hasMessageStartingWith("vmlinuz-h: bzImage setup header ends before its payload fields")
          .hasMessageContaining("at offset 0x" + Integer.toHexString(cut));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bzip2", "lzma", "xz", "lzo", "zstd"})
  void aPayloadSizeTrailerOf1GiBOnAFewKiBIsTruncatedWithoutTaking1GiBOfMemory(String how) {
    // found by KernelImageReaderFuzzTest under a 1 GiB heap: the buffer for the trailer's size was
    // allocated before decompressing, an OutOfMemoryError (or 1 GiB per input) for a 3 KiB file
    byte[] payload = ImageBuilder.compress(sample().elf(), how);
    java.nio.ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(payload.length - 4, 1 << 30);
    byte[] image = ImageBuilder.bzImage(payload, BANNER);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    assertThatThrownBy(() -> KernelImageReader.parse("vmlinuz-t", image))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("vmlinuz-t: ")
        .hasMessageContaining("1073741824");
    assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(64L << 20);
  }

  @Test
  void anLz4PayloadTooShortForItsSizeTrailerIsCorruptAndNamed() {
    // found by KernelImageReaderFuzzTest: a payload_length under 4 made the block list's length
    // negative, an IndexOutOfBoundsException
    byte[] image = ImageBuilder.bzImage(ImageBuilder.compress(sample().elf(), "lz4"), BANNER);
    java.nio.ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x24c, 5);
    assertThatThrownBy(() -> KernelImageReader.parse("vmlinuz-s", image))
        .isInstanceOf(org.kmodkit.core.CorruptFileException.class)
        .hasMessageStartingWith("vmlinuz-s: lz4 payload of 5 bytes is too short")
        .hasMessageContaining("at offset 0x" + Integer.toHexString(5 * 512 + 0x100));
  }

  @Test
  void aPayloadOfUnknownCompressionInTheLastBytesIsNamedWithTheMagicThereIs() {
    // found by KernelImageReaderFuzzTest: the message read four magic bytes past the file's end
    byte[] image = ImageBuilder.bzImage(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, BANNER);
    int start = 5 * 512 + 0x100;
    image = Arrays.copyOf(image, start + 2);
    java.nio.ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x24c, 2);
    byte[] cut = image;
    assertThatThrownBy(() -> KernelImageReader.parse("vmlinuz-m", cut))
        .isInstanceOf(BadInputException.class)
        .hasMessage("vmlinuz-m: bzImage payload at offset " + start + " has an unknown compression (magic 0102)");
  }

  @Test
  void aPayloadThatFailsToDecompressNamesTheStep() {
    byte[] payload = ImageBuilder.compress(sample().elf(), "xz");
    for (int i = 40; i < payload.length - 40; i += 3) {
      payload[i] ^= 0x5a;
    }
    assertThatThrownBy(() -> KernelImageReader.parse("vmlinuz-y", ImageBuilder.bzImage(payload, BANNER)))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith("vmlinuz-y: decompressing the xz payload failed");
  }

  @Test
  void anElfWithoutExportSectionsIsRefused() {
    assertThatThrownBy(() -> KernelImageReader.parse("vmlinux", sample().withoutStrings().elf()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("has no __ksymtab_strings section");
  }

  @Test
  void anArm64ImageGetsAClearErrorSayingWhatIsNeededInstead() {
    byte[] arm = new byte[4096];
    arm[0x38] = 'A';
    arm[0x39] = 'R';
    arm[0x3a] = 'M';
    arm[0x3b] = 0x64;
    assertThatThrownBy(() -> KernelImageReader.parse("Image", arm)).hasMessageContaining("is an arm64 Image").hasMessageContaining("Module.symvers");
    assertThatThrownBy(() -> KernelImageReader.parse("Image.gz", org.kmodkit.testkit.ImageBuilder.compress(arm, "gzip"))).hasMessageContaining("is an arm64 Image");
  }

  @Test
  void aFileThatIsNoKernelIsRefused() {
    assertThatThrownBy(() -> KernelImageReader.parse("notes.txt", "hello world, not a kernel image at all".getBytes()))
        .hasMessageStartingWith("notes.txt: is not a kernel image");
    assertThatThrownBy(() -> KernelImageReader.parse("m.ko", KoBuilder.module("m").build())).hasMessageContaining("is a kernel module, not a kernel image");
  }
  /** An lz4 bzImage whose first block claims {@code chunk} compressed bytes. */
  static byte[] lz4WithFirstBlockOf(int chunk) {
    byte[] image = ImageBuilder.bzImage(ImageBuilder.compress(sample().elf(), "lz4"), BANNER);
    java.nio.ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(5 * 512 + 0x100 + 4, chunk);
    return image;
  }

  @ParameterizedTest
  @ValueSource(ints = {Integer.MAX_VALUE, Integer.MAX_VALUE - 3000, -5})
  void anLz4BlockLengthNearTwoGiBIsTruncatedNotAnOverflow(int chunk) {
    // found by KernelImageReaderFuzzTest: position + chunk overflowed int, passed the range check
    // and reached the user as "internal error: newPosition < 0" with exit 3
    assertThatThrownBy(() -> KernelImageReader.parse("vmlinuz-o", lz4WithFirstBlockOf(chunk)))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("vmlinuz-o: LZ4 block of " + chunk + " bytes at payload offset 4 overruns the payload");
  }

  @ParameterizedTest(name = "ELF type {0}")
  @ValueSource(ints = {2, 3})
  void aModuleLinkedAsAnExecutableIsNeitherAnImageNorAModule(int type) {
    byte[] ko = KoBuilder.module("m").exports("m_open", 0x01020304L).build();
    java.nio.ByteBuffer.wrap(ko).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(16, (short) type);
    assertThatThrownBy(() -> KernelImageReader.parse("m.ko", ko))
        .isInstanceOf(BadInputException.class)
        .hasMessage("m.ko: not a kernel module: ELF type " + (type == 2 ? "EXEC" : "DYN") + "; kernel modules are relocatable objects (ET_REL)");
  }
  /** 64 KiB of boot code stand-in with {@code magic} written at {@code at}. */
  static byte[] imageWith(int at, int... magic) {
    byte[] b = new byte[64 << 10];
    Arrays.fill(b, (byte) 0xa5);
    for (int i = 0; i < magic.length; i++) {
      b[at + i] = (byte) magic[i];
    }
    return b;
  }

  static Stream<Arguments> foreignImages() {
    byte[] s390 = imageWith(0, 0, 8, 0, 0, 0x80, 0, 2, 0, 2, 0, 0, 0x18, 0x60, 0, 0, 0x50, 2, 0, 0, 0x68, 0x60, 0, 0, 0x50);
    byte[] mips = KoBuilder.module("wrapper").withoutThisModule().machine(8).section(".image", ImageBuilder.compress(sample().elf(), "gzip")).build();
    java.nio.ByteBuffer.wrap(mips).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(16, (short) 2);
    return Stream.of(
        Arguments.of("an ARM zImage", imageWith(0x24, 0x18, 0x28, 0x6f, 0x01)),
        Arguments.of("an s390x kernel image", s390),
        Arguments.of("a RISC-V Image", imageWith(0x38, 'R', 'S', 'C', 5)),
        Arguments.of("an EFI zboot image", imageWith(0, 'M', 'Z', 0, 0, 'z', 'i', 'm', 'g')),
        Arguments.of("a PE/EFI image without an x86 bzImage header", imageWith(0, 'M', 'Z')),
        Arguments.of("a MIPS vmlinuz (an ELF boot wrapper", mips));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("foreignImages")
  void anImageKmodkitCannotReadIsNamedAndTheNextStepGiven(String kind, byte[] image) {
    assertThat(KernelImageReader.looksLikeImage(Arrays.copyOf(image, 0x250))).isTrue();
    assertThatThrownBy(() -> KernelImageReader.parse("vmlinuz-x", image))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("vmlinuz-x: is " + kind)
        .hasMessageEndingWith("; kmodkit reads x86 bzImage and ELF vmlinux; pass the kernel's Module.symvers or headers package instead");
  }
}
