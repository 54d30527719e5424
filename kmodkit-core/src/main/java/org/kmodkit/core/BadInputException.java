package org.kmodkit.core;

/**
 * An input the user gave is not what it claims to be: a corrupt module, a malformed symvers line, a
 * file that is not a package. The message names the file and, where known, the offset or line.
 */
public non-sealed class BadInputException extends KmodkitException {
  private static final long serialVersionUID = 1L;
  private final String file;

  public BadInputException(String file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  public BadInputException(String file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  @Override
  public final Kind kind() {
    return Kind.BAD_INPUT;
  }

  /** The file (or other input) at fault, as the user named it. */
  public String file() {
    return file;
  }
}
