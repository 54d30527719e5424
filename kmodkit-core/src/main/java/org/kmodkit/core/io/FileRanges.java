package org.kmodkit.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.CorruptFileException;

/**
 * Random access to ranges of one input, from a file (read on demand, so a parser touches only the
 * sections it needs) or from memory (a decompressed module, a package entry).
 */
public abstract class FileRanges implements AutoCloseable {
  private final String source;

  protected FileRanges(String source) {
    this.source = source;
  }

  public String source() {
    return source;
  }

  public abstract long size();

  /** The {@code length} bytes at {@code offset}, range-checked, as a view that knows its offset. */
  public final Bytes read(long offset, long length, ByteOrder order, String what) throws BadInputException {
    if (offset < 0 || length < 0 || offset > size() - length || length > Integer.MAX_VALUE) {
      throw new CorruptFileException(source, offset, what + " (" + length + " bytes) lies outside the " + size() + "-byte file");
    }
    return Bytes.at(source, fetch(offset, (int) length), offset, order);
  }

  protected abstract ByteBuffer fetch(long offset, int length) throws BadInputException;

  /**
   * Reads the part of {@code [offset, offset + length)} that lies in the file at once, so that the
   * reads within it that follow are served without a system call each: a hint, for a caller that
   * knows which small ranges it will ask for next. Reads from memory need none.
   */
  public void prefetch(long offset, long length) throws BadInputException {}

  @Override
  public void close() {}

  public static FileRanges of(String source, byte[] data) {
    return new Memory(source, ByteBuffer.wrap(data));
  }

  public static FileRanges of(String source, ByteBuffer data) {
    return new Memory(source, data.slice());
  }

  /** Opens {@code file}; {@code source} is how errors name it. */
  public static FileRanges open(Path file, String source) throws BadInputException {
    return open(file, source, null);
  }

  /**
   * As {@link #open(Path, String)}, the ranges read into {@code buffer} (when not null) instead of
   * fresh arrays: they are valid until the buffer's next reset.
   */
  public static FileRanges open(Path file, String source, ReadBuffer buffer) throws BadInputException {
    InputFiles.requireRegular(file, source);
    try {
      return new OnDisk(source, FileChannel.open(file, StandardOpenOption.READ), buffer);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new BadInputException(source, "no such file; check the path");
    } catch (java.nio.file.AccessDeniedException e) {
      throw new BadInputException(source, "permission denied; run as a user who can read it");
    } catch (IOException e) {
      throw new BadInputException(source, "cannot read (" + Compression.oneLine(e) + "); check the path and permissions");
    }
  }

  private static final class Memory extends FileRanges {
    private final ByteBuffer data;

    Memory(String source, ByteBuffer data) {
      super(source);
      this.data = data;
    }

    @Override
    public long size() {
      return data.limit();
    }

    @Override
    protected ByteBuffer fetch(long offset, int length) {
      return data.slice((int) offset, length);
    }
  }

  /**
   * A file read range by range with positional reads: a parser fetches only the sections it asks
   * for, and a few prefetched windows serve the small reads that fall inside them. (Mapping each
   * file was measured slower over a thousand small modules: map, fault and unmap cost more than
   * copying the few sections needed.)
   */
  private static final class OnDisk extends FileRanges {
    private static final int WINDOWS = 6;

    private final FileChannel channel;
    private final long size;
    private final ReadBuffer buffer;
    private final long[] windowAt = new long[WINDOWS];
    private final ByteBuffer[] windows = new ByteBuffer[WINDOWS];
    private int windowCount;

    OnDisk(String source, FileChannel channel, ReadBuffer buffer) throws IOException {
      super(source);
      this.channel = channel;
      this.buffer = buffer;
      try {
        this.size = channel.size();
      } catch (IOException e) {
        channel.close();
        throw e;
      }
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public void prefetch(long offset, long length) throws BadInputException {
      long from = Math.max(0, offset);
      long to = Math.min(size, offset + Math.max(0, length));
      if (to <= from || to - from > ReadBuffer.RETAINED || windowCount == WINDOWS) {
        return;
      }
      windowAt[windowCount] = from;
      windows[windowCount] = pread(from, (int) (to - from));
      windowCount++;
    }

    @Override
    protected ByteBuffer fetch(long offset, int length) throws BadInputException {
      for (int i = 0; i < windowCount; i++) {
        long at = offset - windowAt[i];
        if (at >= 0 && at + length <= windows[i].limit()) {
          return windows[i].slice((int) at, length);
        }
      }
      return pread(offset, length);
    }

    private ByteBuffer pread(long offset, int length) throws BadInputException {
      ByteBuffer buf = buffer == null ? ByteBuffer.allocate(length) : buffer.take(length);
      try {
        while (buf.hasRemaining()) {
          int n = channel.read(buf, offset + buf.position());
          if (n < 0) {
            throw new CorruptFileException(source(), offset + buf.position(), "file ended early (it shrank while being read)");
          }
        }
      } catch (IOException e) {
        throw new BadInputException(source(), "read error at offset 0x" + Long.toHexString(offset) + " (" + Compression.oneLine(e) + ")");
      }
      return buf.flip();
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // read-only channel: nothing to flush, nothing lost
      }
    }
  }
}
