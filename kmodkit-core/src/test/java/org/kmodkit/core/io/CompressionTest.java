package org.kmodkit.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.BadInputException;
import org.kmodkit.testkit.Bombs;

class CompressionTest {
  static final ExpansionLimit ONE_MIB = new ExpansionLimit(1 << 20, "more than this test allows");

  @ParameterizedTest
  @CsvSource({"gzip,GZIP", "xz,XZ", "zstd,ZSTD"})
  void aStreamStopsAtItsLimitInsteadOfExpandingTheWholeBomb(String how, Compression c) throws Exception {
    byte[] bomb = Bombs.zeros(how, 64L << 20);
    long[] read = {0};
    assertThatThrownBy(() -> {
      try (InputStream in = c.open(new ByteArrayInputStream(bomb), ONE_MIB)) {
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
          read[0] += n;
        }
      }
    }).isInstanceOf(ExpansionLimit.Exceeded.class).hasMessage("expands beyond 1 MiB, more than this test allows; refusing it as corrupt or hostile");
    assertThat(read[0]).isLessThanOrEqualTo(1 << 20);
  }

  @Test
  void inMemoryDecompressionRefusesPastTheLimitAndNamesTheFile() {
    byte[] bomb = Bombs.zeros("zstd", 8L << 20);
    assertThatThrownBy(() -> Compression.ZSTD.decompress("x.ko.zst", bomb, ONE_MIB))
        .isInstanceOf(BadInputException.class)
        .hasMessage("x.ko.zst: expands beyond 1 MiB, more than this test allows; refusing it as corrupt or hostile");
  }

  @Test
  void dataWithinTheLimitDecompressesWhole() throws Exception {
    byte[] ok = Bombs.zeros("xz", (1 << 20) - 1);
    assertThat(Compression.XZ.decompress("ok.xz", ok, ONE_MIB)).hasSize((1 << 20) - 1).containsOnly(0);
  }

  @Test
  void parallelReadersShareOneBudgetAndWaitForEachOther() throws Exception {
    MemoryBudget budget = new MemoryBudget(3 << 20);
    byte[] small = Bombs.zeros("gzip", 512 << 10);
    try (Compression.Expanded first = Compression.GZIP.expand("a.gz", small, ONE_MIB, budget)) {
      // the first holds what it expanded to (512 KiB); a second may still reserve its 1 MiB limit, twice
      assertThat(budget.free()).isEqualTo((3 << 20) - (512 << 10));
      MemoryBudget.Reservation r = budget.reserve(2 << 20);
      CompletableFuture<byte[]> third = CompletableFuture.supplyAsync(() -> {
        try {
          return Compression.GZIP.decompress("c.gz", small, ONE_MIB, budget);
        } catch (BadInputException e) {
          throw new IllegalStateException(e);
        }
      });
      assertThatThrownBy(() -> third.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
      r.close();
      assertThat(third.get(10, TimeUnit.SECONDS)).hasSize(512 << 10);
      assertThat(first.bytes()).hasSize(512 << 10);
    }
    assertThat(budget.free()).isEqualTo(3 << 20);
  }

  @Test
  void aReaderAloneMayUseTheWholeBudgetEvenWhenItsLimitIsLarger() throws Exception {
    MemoryBudget budget = new MemoryBudget(2 << 20);
    byte[] within = Bombs.zeros("zstd", (2 << 20) - 1);
    assertThat(Compression.ZSTD.decompress("a.zst", within, new ExpansionLimit(64 << 20, "x"), budget)).hasSize((2 << 20) - 1);
    byte[] beyond = Bombs.zeros("zstd", 3 << 20);
    assertThatThrownBy(() -> Compression.ZSTD.decompress("b.zst", beyond, new ExpansionLimit(64 << 20, "x"), budget))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("b.zst: needs more than the 2 MiB of memory kmodkit may use for one input")
        .hasMessageContaining("KMODKIT_JAVA_OPTS=-Xmx");
    assertThat(budget.free()).isEqualTo(2 << 20);
  }

  @Test
  void aBombIsRefusedWithoutHoldingWhatItExpandsTo() {
    byte[] bomb = Bombs.zeros("zstd", 256L << 20);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    assertThatThrownBy(() -> Compression.ZSTD.decompress("bomb.ko.zst", bomb, ExpansionLimit.MODULE))
        .isInstanceOf(BadInputException.class).hasMessageContaining("expands beyond 64 MiB");
    // a few MiB of first pass, then only counted: not the 64 MiB the limit would allow
    assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(16L << 20);
  }

  @Test
  void aHighlyCompressedInputWithinTheLimitIsReadAgainIntoItsExactSize() throws Exception {
    MemoryBudget budget = new MemoryBudget(64 << 20);
    byte[] packed = Bombs.zeros("xz", 3 << 20); // compresses ~10,000 times: past the first pass's share
    try (Compression.Expanded e = Compression.XZ.expand("a.xz", packed, new ExpansionLimit(4 << 20, "x"), budget)) {
      assertThat(e.bytes()).hasSize(3 << 20).containsOnly(0);
      assertThat(budget.free()).isEqualTo((64 << 20) - (3 << 20));
    }
    assertThat(budget.free()).isEqualTo(64 << 20);
  }

  /** Text-like bytes: compressible, not all one value. */
  private static byte[] sample(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ("module_layout printk kmalloc ".charAt(i % 29) + (i / 4096) % 7);
    }
    return b;
  }

  /** A frame declaring its size (as `zstd` writes a module) is expanded by one call, into exactly that size. */
  @Test
  void aZstdFrameDeclaringItsSizeExpandsToTheSameBytesInOneArray() throws Exception {
    byte[] plain = sample(300_000);
    byte[] packed = com.github.luben.zstd.Zstd.compress(plain);
    assertThat(com.github.luben.zstd.Zstd.getFrameContentSize(packed)).isEqualTo(plain.length);
    MemoryBudget budget = new MemoryBudget(8 << 20);
    try (Compression.Expanded e = Compression.ZSTD.expand("a.ko.zst", packed, ExpansionLimit.MODULE, budget)) {
      assertThat(e.bytes()).isEqualTo(plain);
      assertThat(budget.free()).isEqualTo((8 << 20) - plain.length);
    }
    assertThat(budget.free()).isEqualTo(8 << 20);
  }

  /** Two frames one after the other: the first frame's size is not the whole; all of it comes out. */
  @Test
  void twoZstdFramesExpandToBoth() throws Exception {
    byte[] a = sample(100_000);
    byte[] b = java.util.Arrays.copyOfRange(sample(200_000), 50_000, 180_000);
    java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
    both.write(com.github.luben.zstd.Zstd.compress(a));
    both.write(com.github.luben.zstd.Zstd.compress(b));
    byte[] expected = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, expected, a.length, b.length);
    assertThat(Compression.ZSTD.decompress("two.zst", both.toByteArray(), ExpansionLimit.MODULE)).isEqualTo(expected);
    // the streamed pass after the one call takes the bytes read for it: the file is opened once
    int[] opens = {0};
    byte[] file = both.toByteArray();
    Compression.Source source = () -> {
      opens[0]++;
      return new ByteArrayInputStream(file);
    };
    try (Compression.Expanded e = Compression.ZSTD.expand("two.zst", source, file.length, ExpansionLimit.MODULE, MemoryBudget.heap())) {
      assertThat(e.bytes()).isEqualTo(expected);
    }
    assertThat(opens[0]).isEqualTo(1);
  }

  /** A frame cut short (a truncated download) is refused as corrupt, naming the file, however much of it is left. */
  @ParameterizedTest
  @CsvSource({"1", "5", "100"})
  void aTruncatedZstdFrameIsRefusedAsCorrupt(int cut) {
    byte[] packed = com.github.luben.zstd.Zstd.compress(sample(300_000));
    byte[] truncated = java.util.Arrays.copyOf(packed, packed.length - cut);
    assertThatThrownBy(() -> Compression.ZSTD.decompress("cut.ko.zst", truncated, ExpansionLimit.MODULE))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith("cut.ko.zst: corrupt zstd data");
  }

  /** A frame whose declared size is false, smaller or larger than its data: refused as corrupt, naming the file. */
  @ParameterizedTest
  @CsvSource({"-1", "1"})
  void aZstdFrameThatMisstatesItsSizeIsRefusedAsCorrupt(int delta) {
    byte[] plain = sample(60_000);
    byte[] packed = com.github.luben.zstd.Zstd.compress(plain);
    // the frame header: magic, descriptor byte, then (single segment, 2-byte field) size - 256
    int descriptor = packed[4] & 0xff;
    assertThat(descriptor >> 6).as("a 2-byte size field").isEqualTo(1);
    assertThat(descriptor & 0x20).as("single segment: no window byte").isNotZero();
    int field = (packed[5] & 0xff) | (packed[6] & 0xff) << 8;
    assertThat(field + 256).isEqualTo(plain.length);
    field += delta;
    packed[5] = (byte) field;
    packed[6] = (byte) (field >> 8);
    assertThatThrownBy(() -> Compression.ZSTD.decompress("lies.ko.zst", packed, ExpansionLimit.MODULE))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith("lies.ko.zst: corrupt zstd data");
  }

  /**
   * A frame claiming far more than its bytes could give (40 MiB from a few KiB, within the module
   * limit and the budget) is not taken at its word: nothing of the claimed size is allocated before
   * the data is seen to be false.
   */
  @Test
  void aZstdFrameClaimingAHugeSizeIsNotAllocatedAtItsWord() {
    byte[] plain = sample(100_000);
    byte[] packed = com.github.luben.zstd.Zstd.compress(plain);
    int descriptor = packed[4] & 0xff;
    assertThat(descriptor >> 6).as("a 4-byte size field").isEqualTo(2);
    assertThat(descriptor & 0x20).as("single segment: no window byte").isNotZero();
    java.nio.ByteBuffer.wrap(packed, 5, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(40 << 20);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    assertThatThrownBy(() -> Compression.ZSTD.decompress("claims.ko.zst", packed, ExpansionLimit.MODULE, new MemoryBudget(128 << 20)))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith("claims.ko.zst: corrupt zstd data");
    assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(8L << 20);
  }
}
