package org.kmodkit.core.io;

import java.nio.ByteBuffer;

/**
 * One array that the ranges read from one file after another are carved from, so reading a
 * thousand modules does not allocate (and zero) a fresh array per section. {@link #reset} hands
 * the space out again: every view carved before it must be dead by then, so a buffer serves one
 * reader at a time and a parse keeps no view of it in its result. Ranges beyond
 * {@link #RETAINED} get an array of their own, so a huge input is not held after its read.
 */
public final class ReadBuffer {
  /** The largest array kept between reads. */
  static final int RETAINED = 8 << 20;

  private byte[] array = new byte[64 << 10];
  private int used;

  /** Makes the whole buffer free again: the views it gave out must no longer be used. */
  public void reset() {
    used = 0;
  }

  /** A writable buffer of {@code length} bytes, positioned at 0. */
  ByteBuffer take(int length) {
    if (length > array.length - used) {
      if (length > RETAINED) {
        return ByteBuffer.allocate(length);
      }
      // the views already given keep the old array alive until they die; the new one starts empty
      array = new byte[Math.min(RETAINED, Math.max(2 * array.length, length))];
      used = 0;
    }
    ByteBuffer b = ByteBuffer.wrap(array, used, length).slice();
    used += length;
    return b;
  }
}
