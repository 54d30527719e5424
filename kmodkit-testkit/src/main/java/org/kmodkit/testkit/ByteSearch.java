package org.kmodkit.testkit;

/** Finding bytes in a file's bytes, for tests that corrupt or inspect a written package. */
public final class ByteSearch {
  private ByteSearch() {}

  /** The first offset of NEEDLE in HAY; an AssertionError when absent. */
  public static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
