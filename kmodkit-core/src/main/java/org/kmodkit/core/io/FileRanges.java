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
    InputFiles.requireRegular(file, source);
    try {
      return new OnDisk(source, FileChannel.open(file, StandardOpenOption.READ));
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
   * for. (Mapping each file was measured slower over a thousand small modules: map, fault and
   * unmap cost more than copying the few sections needed.)
   */
  private static final class OnDisk extends FileRanges {
    private final FileChannel channel;
    private final long size;

    OnDisk(String source, FileChannel channel) throws IOException {
      super(source);
      this.channel = channel;
      this.size = channel.size();
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    protected ByteBuffer fetch(long offset, int length) throws BadInputException {
      ByteBuffer buf = ByteBuffer.allocate(length);
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
