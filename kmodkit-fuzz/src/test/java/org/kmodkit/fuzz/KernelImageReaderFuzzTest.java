package org.kmodkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.MethodSource;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.image.KernelImageReader;
import org.kmodkit.testkit.ImageBuilder;
import org.kmodkit.testkit.KoBuilder;

/**
 * Any bytes given to the kernel image reader are read as an image or refused with the domain
 * error. Seeds, built at test time from the testkit: a plain ELF vmlinux in every struct
 * kernel_symbol layout, ELF class and byte order; a bzImage around each of the seven payload
 * compressions; a vmlinux compressed whole; and inputs the reader must turn away (a module).
 */
class KernelImageReaderFuzzTest {
  private static final String SOURCE = "vmlinuz";
  private static final String BANNER = "6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)";

  static Stream<Named<byte[]>> syntheticImages() {
    Stream<Named<byte[]>> elves = Stream.of(ImageBuilder.Layout.values())
        .flatMap(l -> Stream.of(
            Named.of("vmlinux " + l + " 64-bit little-endian", sample().layout(l).elf()),
            Named.of("vmlinux " + l + " 32-bit big-endian", sample().layout(l).bits(32).bigEndian().machine(KoBuilder.EM_S390).elf())));
    Stream<Named<byte[]>> bzImages = ImageBuilder.COMPRESSIONS.stream()
        .map(c -> Named.of("bzImage " + c, ImageBuilder.bzImage(ImageBuilder.compress(sample().elf(), c), BANNER)));
    Stream<Named<byte[]>> others = Stream.of(
        Named.of("vmlinux with 8-byte CRCs", sample().layout(ImageBuilder.Layout.ABS).crcSize(8).elf()),
        Named.of("vmlinux without export strings", sample().withoutStrings().elf()),
        Named.of("gzipped vmlinux", ImageBuilder.compress(sample().elf(), "gzip")),
        Named.of("a module", KoBuilder.module("x").build()));
    return Stream.of(elves, bzImages, others).flatMap(s -> s);
  }

  private static ImageBuilder sample() {
    return ImageBuilder.vmlinux()
        .export("_printk", 0x92997ed8L, false, "")
        .export("kmalloc_trace", 0x19010afaL, true, "")
        .export("cxl_thing", 0x44440000L, true, "CXL");
  }

  @MethodSource("syntheticImages")
  @FuzzTest(maxDuration = "60s")
  void anyBytesReadAsAKernelImageOrFailWithTheDomainError(byte[] data) {
    try {
      KernelImageReader.parse(SOURCE, data);
    } catch (BadInputException e) {
      DomainError.mustName(SOURCE, e);
    }
  }
}
