package org.kmodkit.core;

/**
 * An input the user gave is not what it claims to be: a corrupt module, a malformed symvers line, a
 * file that is not a package. The message names the file and, where known, the offset or line.
 */
public class BadInputException extends KmodkitException {
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

  /**
   * Input text as a message may quote it: control characters (terminal escapes, NUL, newlines),
   * invisible format characters and undecodable bytes are shown as backslash-x and backslash-u hex escapes,
   * so a one-line message stays one line and prints nothing a terminal would obey.
   */
  public static String quote(String input) {
    StringBuilder out = new StringBuilder(input.length());
    input.codePoints().forEach(c -> {
      if (Character.isISOControl(c) || c == 0xfffd || Character.getType(c) == Character.FORMAT) {
        out.append(c < 0x100 ? String.format("\\x%02x", c) : String.format("\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return out.toString();
  }

  /** The file (or other input) at fault, as the user named it. */
  public String file() {
    return file;
  }
}
