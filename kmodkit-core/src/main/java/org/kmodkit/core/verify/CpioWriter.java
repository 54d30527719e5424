package org.kmodkit.core.verify;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * Writes a cpio archive in the "newc" format the kernel unpacks an initramfs from
 * (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII header
 * ({@code 070701} and thirteen 8-digit hex fields), the NUL-terminated name, padding to 4 bytes,
 * the data, padding to 4 bytes; a {@code TRAILER!!!} entry ends it. Owner root, mtime 0, so the
 * same inputs give the same bytes. Device nodes are written as data, so no privilege is needed.
 */
public final class CpioWriter implements AutoCloseable {
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFLNK = 0120000;
  private static final int S_IFCHR = 0020000;
  private static final byte[] ZEROS = new byte[4];

  private final OutputStream out;
  private final Set<String> names = new HashSet<>();
  private long offset;
  private int nextInode = 1;
  private boolean finished;

  public CpioWriter(OutputStream out) {
    this.out = out;
  }

  public CpioWriter directory(String name, int permissions) throws IOException {
    return entry(name, S_IFDIR | permissions, 2, 0, 0, new byte[0]);
  }

  public CpioWriter file(String name, int permissions, byte[] data) throws IOException {
    return entry(name, S_IFREG | permissions, 1, 0, 0, data);
  }

  public CpioWriter symlink(String name, String target) throws IOException {
    return entry(name, S_IFLNK | 0777, 1, 0, 0, target.getBytes(StandardCharsets.UTF_8));
  }

  public CpioWriter charDevice(String name, int permissions, int major, int minor) throws IOException {
    return entry(name, S_IFCHR | permissions, 1, major, minor, new byte[0]);
  }

  private CpioWriter entry(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data) throws IOException {
    if (finished) {
      throw new IllegalStateException("archive already finished");
    }
    if (name.isEmpty() || name.startsWith("/") || name.contains("\0") || name.equals("TRAILER!!!") || name.startsWith("../") || name.contains("/../")) {
      throw new IllegalArgumentException("not a relative archive path: '" + name + "'");
    }
    if (!names.add(name)) {
      throw new IllegalArgumentException("duplicate archive path: " + name);
    }
    write(name, mode, nextInode++, nlink, rdevMajor, rdevMinor, data);
    return this;
  }

  private void write(String name, int mode, int inode, int nlink, int rdevMajor, int rdevMinor, byte[] data) throws IOException {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    StringBuilder h = new StringBuilder(110).append("070701");
    for (long field : new long[] {inode, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor, n.length + 1, 0}) {
      String hex = Long.toHexString(field);
      h.append("00000000", hex.length(), 8).append(hex);
    }
    put(h.toString().getBytes(StandardCharsets.US_ASCII));
    put(n);
    put(new byte[] {0});
    pad();
    put(data);
    pad();
  }

  /** Writes the trailer; the archive is complete (the output stays open: the caller owns it). */
  public void finish() throws IOException {
    if (!finished) {
      write("TRAILER!!!", 0, 0, 1, 0, 0, new byte[0]);
      finished = true;
      out.flush();
    }
  }

  @Override
  public void close() throws IOException {
    finish();
  }

  private void put(byte[] b) throws IOException {
    out.write(b);
    offset += b.length;
  }

  private void pad() throws IOException {
    int r = (int) (offset % 4);
    if (r != 0) {
      out.write(ZEROS, 0, 4 - r);
      offset += 4 - r;
    }
  }
}
