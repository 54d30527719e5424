package org.kmodkit.core.io;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.kmodkit.core.BadInputException;
import org.tukaani.xz.LZMAInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * The compressions kernel modules, symbol lists, images and package payloads use, and the one
 * bounded way kmodkit decompresses any of them: every output stops at an {@link ExpansionLimit},
 * and output held in memory is reserved from a shared {@link MemoryBudget} first.
 */
public enum Compression {
  NONE(""),
  GZIP(".gz"),
  XZ(".xz"),
  ZSTD(".zst"),
  BZIP2(".bz2"),
  LZMA(".lzma");

  /**
   * What an xz or lzma header may ask the decoder to allocate: xz -9's 64 MiB dictionary (the most
   * any preset uses) and its overhead. A larger claim is refused rather than allocated.
   */
  private static final int LZMA_MEMORY_KIB = 66 << 10;
  /** Output is gathered in chunks this size: no doubling copies, nothing large until the end. */
  private static final int CHUNK = 256 << 10;
  /**
   * Real modules and symbol lists compress 3 to 6 times (xz, zstd, gzip); output beyond this many
   * times the input is not kept on the first pass, only counted.
   */
  static final int RATIO = 32;

  private final String suffix;

  Compression(String suffix) {
    this.suffix = suffix;
  }

  public String suffix() {
    return suffix;
  }

  /**
   * The compression whose magic starts {@code head}, or NONE: only those a kernel module may use
   * (kmod reads gzip, xz and zstd; a renamed file is still judged by what it holds).
   */
  public static Compression detect(byte[] head) {
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (head.length >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X' && head[4] == 'Z' && head[5] == 0) {
      return XZ;
    }
    if (head.length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    return NONE;
  }

  /** As {@link #detect}, and bzip2 too (tarballs and old RPM payloads use it; lzma has no magic). */
  public static Compression detectArchive(byte[] head) {
    if (head.length >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') {
      return BZIP2;
    }
    return detect(head);
  }

  /** The compression a member name ends with ("data.tar.xz" → XZ, "data.tar" → NONE), or null. */
  public static Compression ofName(String name) {
    for (Compression c : values()) {
      if (c != NONE && name.endsWith(c.suffix)) {
        return c;
      }
    }
    return name.endsWith(".tar") ? NONE : null;
  }

  /**
   * A stream of {@code in} decompressed, ending in {@link ExpansionLimit.Exceeded} once it would
   * give more than {@code limit}: for output that is streamed on (a package payload), not held.
   */
  public InputStream open(InputStream in, ExpansionLimit limit) throws IOException {
    return new Bounded(decoder(in), limit);
  }

  private InputStream decoder(InputStream in) throws IOException {
    switch (this) {
      case GZIP:
        return new GZIPInputStream(in, 65536);
      case XZ:
        return new XZInputStream(in, LZMA_MEMORY_KIB, true, org.tukaani.xz.BasicArrayCache.getInstance());
      case ZSTD:
        return new com.github.luben.zstd.ZstdInputStreamNoFinalizer(in, com.github.luben.zstd.RecyclingBufferPool.INSTANCE);
      case BZIP2:
        return new BZip2CompressorInputStream(in, true);
      case LZMA:
        return new LZMAInputStream(in, LZMA_MEMORY_KIB);
      default:
        return in;
    }
  }

  /**
   * Decompresses all of {@code data} into memory, refusing more than {@code limit}; {@code source}
   * names the input in errors. The budget is held while decompressing.
   */
  public byte[] decompress(String source, byte[] data, ExpansionLimit limit) throws BadInputException {
    return decompress(source, data, limit, MemoryBudget.heap());
  }

  public byte[] decompress(String source, byte[] data, ExpansionLimit limit, MemoryBudget budget) throws BadInputException {
    if (this == NONE) {
      return data;
    }
    try (Expanded e = expand(source, data, limit, budget)) {
      return e.bytes();
    }
  }

  /** Where compressed bytes come from, opened again when a second pass is needed. */
  @FunctionalInterface
  public interface Source {
    InputStream open() throws IOException;
  }

  /**
   * Decompresses {@code data} and keeps what it expanded to reserved from {@code budget} until the
   * result is closed: for a reader that parses the bytes and then lets them go.
   */
  public Expanded expand(String source, byte[] data, ExpansionLimit limit, MemoryBudget budget) throws BadInputException {
    return expand(source, () -> new ByteArrayInputStream(data), data.length, limit, budget);
  }

  /**
   * As {@link #expand(String, byte[], ExpansionLimit, MemoryBudget)}, from {@code compressedSize}
   * bytes that {@code compressed} opens. One pass keeps what real data expands to (at most
   * {@value #RATIO} times its compressed size); past that the rest is only counted, so a bomb costs
   * no memory, and an input that ends within the limit after all is read again into its exact size.
   */
  public Expanded expand(String source, Source compressed, long compressedSize, ExpansionLimit limit, MemoryBudget budget) throws BadInputException {
    try {
      if (this == ZSTD && compressedSize <= ZSTD_AT_ONCE) {
        byte[] src;
        try (InputStream in = compressed.open()) {
          src = in.readNBytes((int) compressedSize + 1);
        }
        if (src.length <= compressedSize) { // else the file grew while read: stream it as it is now
          Expanded once = zstdAtOnce(src, limit, budget);
          if (once != null) {
            return once;
          }
          compressed = () -> new ByteArrayInputStream(src); // the streamed pass takes the bytes read already
        }
      }
      long total;
      MemoryBudget.Reservation first = budget.reserve(Math.min(limit.bytes(), Math.max(1 << 20, RATIO * compressedSize)));
      try (InputStream in = decoder(compressed.open())) {
        Chunks kept = Chunks.gather(in, first.bytes());
        if (kept.ended) {
          return kept.join(first);
        }
        total = kept.total + count(in, limit.bytes() + 1 - kept.total);
      } finally {
        first.close(); // a no-op when join() took it over
      }
      if (total > limit.bytes()) {
        throw new BadInputException(source, limit.refusal());
      }
      MemoryBudget.Reservation exact = budget.reserve(total);
      try (InputStream in = decoder(compressed.open())) {
        if (exact.bytes() < total) {
          throw tooLittleMemory(source, exact, limit);
        }
        byte[] out = new byte[(int) total]; // measured by the first pass, not claimed by the input
        if (in.readNBytes(out, 0, out.length) != total || in.read() >= 0) {
          throw new IOException("the file changed while it was read");
        }
        return new Expanded(out, exact.take());
      } finally {
        exact.close();
      }
    } catch (IOException | RuntimeException e) {
      throw new BadInputException(source, "corrupt " + name().toLowerCase() + " data (" + oneLine(e) + "); re-download or re-compress the file");
    }
  }

  /** Compressed inputs up to this size are read whole for one native zstd call. */
  private static final long ZSTD_AT_ONCE = 16 << 20;

  /**
   * A zstd input whose frame declares its size, decompressed by one native call into an array of
   * that size (a module's frame does: `make modules_install` compresses whole files); null, to
   * stream it instead, when no size is declared, it is past the limit, the budget or what the first
   * streamed pass would hold anyway, or the data does not give exactly that size (a second frame,
   * a false claim). Streaming a module cost a native context, buffers and chunked copies each.
   */
  private static Expanded zstdAtOnce(byte[] src, ExpansionLimit limit, MemoryBudget budget) {
    long declared = com.github.luben.zstd.Zstd.getFrameContentSize(src);
    // a size no real module compresses from (past RATIO) goes the bomb-proof way: streamed and counted
    if (declared <= 0 || declared > limit.bytes() || declared > Math.max(1 << 20, RATIO * (long) src.length)) {
      return null;
    }
    MemoryBudget.Reservation r = budget.reserve(declared);
    try {
      if (r.bytes() < declared) {
        return null;
      }
      byte[] out = new byte[(int) declared];
      long n = com.github.luben.zstd.Zstd.decompressByteArray(out, 0, out.length, src, 0, src.length);
      return com.github.luben.zstd.Zstd.isError(n) || n != declared ? null : new Expanded(out, r.take());
    } catch (com.github.luben.zstd.ZstdException e) {
      return null; // more than the first frame, or corrupt: the stream says which
    } finally {
      r.close();
    }
  }

  /** Reads and drops up to {@code max} bytes of {@code in}; how many there were. */
  private static long count(InputStream in, long max) throws IOException {
    byte[] scratch = new byte[CHUNK];
    long n = 0;
    for (int r; n < max && (r = in.read(scratch, 0, (int) Math.min(scratch.length, max - n))) >= 0; ) {
      n += r;
    }
    return n;
  }

  /**
   * Reads {@code in} (already decompressed: a package entry, an initramfs) into memory, at most
   * {@code limit} bytes, with the budget held while reading.
   */
  public static byte[] readAll(String source, InputStream in, ExpansionLimit limit) throws IOException, BadInputException {
    try (Expanded e = readAll(source, in, limit, MemoryBudget.heap())) {
      return e.bytes();
    }
  }

  /** As {@link #readAll(String, InputStream, ExpansionLimit)}, the bytes held from {@code budget} until closed. */
  public static Expanded readAll(String source, InputStream in, ExpansionLimit limit, MemoryBudget budget) throws IOException, BadInputException {
    try (MemoryBudget.Reservation r = budget.reserve(limit.bytes())) {
      Chunks kept = Chunks.gather(in, r.bytes());
      if (kept.ended) {
        return kept.join(r);
      }
      if (r.bytes() < limit.bytes()) {
        throw tooLittleMemory(source, r, limit);
      }
      throw new BadInputException(source, limit.refusal());
    }
  }

  private static BadInputException tooLittleMemory(String source, MemoryBudget.Reservation r, ExpansionLimit limit) {
    // the budget, not the kind, stopped it: this JVM's heap is smaller than one honest input
    return new BadInputException(source, "needs more than the " + ExpansionLimit.size(r.bytes()) + " of memory kmodkit may use for one input (half of its heap); run it with a larger heap, e.g. KMODKIT_JAVA_OPTS=-Xmx"
        + Math.max(2, 4 * limit.bytes() >> 30) + "g");
  }

  /** Output gathered in fixed chunks: no doubling copies, no buffer sized from what the input claims. */
  private static final class Chunks {
    final List<byte[]> list = new ArrayList<>();
    long total;
    boolean ended;

    /** Up to {@code max} bytes of {@code in}; {@code ended} when the input ended within them. */
    static Chunks gather(InputStream in, long max) throws IOException {
      Chunks c = new Chunks();
      while (c.total <= max) {
        // small first (most inputs are small), growing to CHUNK
        byte[] chunk = new byte[(int) Math.min(Math.min(CHUNK, Math.max(8192, c.total)), max + 1 - c.total)];
        int n = in.readNBytes(chunk, 0, chunk.length);
        c.list.add(chunk);
        c.total += n;
        if (n < chunk.length) {
          c.ended = true;
          break;
        }
      }
      return c;
    }

    /** The bytes as one array; the reservation shrinks to them and goes with them. */
    Expanded join(MemoryBudget.Reservation r) {
      byte[] out = new byte[(int) total];
      int at = 0;
      for (byte[] c : list) {
        int n = (int) Math.min(c.length, total - at);
        System.arraycopy(c, 0, out, at, n);
        at += n;
      }
      r.shrinkTo(total);
      return new Expanded(out, r.take());
    }
  }

  /** Decompressed bytes, holding their share of the memory budget until closed. */
  public static final class Expanded implements AutoCloseable {
    private final byte[] bytes;
    private final MemoryBudget.Reservation reservation;

    private Expanded(byte[] bytes, MemoryBudget.Reservation reservation) {
      this.bytes = bytes;
      this.reservation = reservation;
    }

    public byte[] bytes() {
      return bytes;
    }

    @Override
    public void close() {
      reservation.close();
    }
  }

  /** Counts what passes and stops at the limit. */
  private static final class Bounded extends FilterInputStream {
    private final ExpansionLimit limit;
    private long total;

    Bounded(InputStream in, ExpansionLimit limit) {
      super(in);
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (total > limit.bytes()) {
        throw new ExpansionLimit.Exceeded(limit);
      }
      // never ask for more than one byte past the limit: the reader stops there, not a buffer later
      int n = in.read(b, off, (int) Math.min(len, limit.bytes() - total + 1));
      if (n > 0 && (total += n) > limit.bytes()) {
        throw new ExpansionLimit.Exceeded(limit);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(Math.min(n, limit.bytes() - total + 1)); // a decoder skips by decompressing: count it
      if (s > 0 && (total += s) > limit.bytes()) {
        throw new ExpansionLimit.Exceeded(limit);
      }
      return s;
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replace('\n', ' ');
  }
}
