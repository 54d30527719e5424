package org.kmodkit.core;

/**
 * Names a package controls (file and directory names, modinfo strings, symbols) made safe to
 * print: a control character would end a line early or drive the terminal (ESC sequences), so
 * every renderer shows it as an escape instead — {@code \n}, {@code \t}, {@code \r}, {@code \x1b},
 * and U+202E as backslash, u, 202e — never raw.
 */
public final class Printable {
  private Printable() {}

  /** {@code s} with every control, format and line-separator character escaped; other text as it is. */
  public static String escape(String s) {
    if (s == null || printableAscii(s) || s.codePoints().noneMatch(Printable::unsafe)) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length() + 8);
    s.codePoints().forEach(c -> {
      if (!unsafe(c)) {
        sb.appendCodePoint(c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c == '\r') {
        sb.append("\\r");
      } else {
        sb.append(c < 0x100 ? String.format("\\x%02x", c) : String.format("\\u%04x", c));
      }
    });
    return sb.toString();
  }

  /**
   * Every char of {@code s} is printable ASCII (space to '~'), none of them {@link #unsafe}: the
   * common case, answered by a loop (a renderer escapes every line it prints; a tree's check
   * prints thousands, and the code-point stream cost more than the rest of the line's making).
   */
  private static boolean printableAscii(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** {@code s} holds a control character (C0, DEL or C1): a name no line-based file can carry. */
  public static boolean hasControl(String s) {
    return s.codePoints().anyMatch(Character::isISOControl);
  }

  /** Would mislead or drive a terminal: controls, and the invisible format and separator characters (bidi overrides). */
  public static boolean unsafe(int c) {
    int type = Character.getType(c);
    return Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
  }
}
