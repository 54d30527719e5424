package org.kmodkit.core;

/** A read outside the file, or a structure that cannot be what it says, at a known offset. */
public class CorruptFileException extends BadInputException {
  private static final long serialVersionUID = 1L;
  private final long offset;

  public CorruptFileException(String file, long offset, String problem) {
    super(file, problem + " at offset 0x" + Long.toHexString(offset) + " (file is corrupt or truncated; rebuild or re-download it)");
    this.offset = offset;
  }

  public long offset() {
    return offset;
  }
}
