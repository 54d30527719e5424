package org.kmodkit.formats.deb;

import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.Relation;

/**
 * A Debian package version, {@code [epoch:]upstream[-revision]}, ordered as dpkg orders it
 * (dpkg's {@code verrevcmp}: runs of non-digits compared character by character with {@code ~}
 * before everything, even the end, and letters before other symbols; runs of digits compared as
 * numbers). Refused only where dpkg refuses it too.
 */
public record DebVersion(long epoch, String upstream, String revision) implements Comparable<DebVersion> {
  public DebVersion {
    if (epoch < 0 || upstream.isEmpty()) {
      throw new IllegalArgumentException("epoch " + epoch + ", upstream '" + upstream + "'");
    }
  }

  /** Parses VERSION as dpkg's parseversion does; its errors are ours, its warnings (no leading digit, odd characters) are not. */
  public static DebVersion parse(String version) throws BadInputException {
    return parse("Debian version", version);
  }

  /** As {@link #parse(String)}, an error naming SOURCE (the package whose control file holds VERSION). */
  public static DebVersion parse(String source, String version) throws BadInputException {
    String v = version.strip();
    if (v.isEmpty() || v.chars().anyMatch(Character::isWhitespace)) {
      throw bad(source, version, v.isEmpty() ? "is empty" : "holds a space");
    }
    long epoch = 0;
    int colon = v.indexOf(':');
    if (colon >= 0) {
      String e = v.substring(0, colon);
      if (e.isEmpty() || !e.chars().allMatch(c -> c >= '0' && c <= '9') || e.length() > 9) {
        throw bad(source, version, e.isEmpty() ? "has an empty epoch" : "has an epoch that is not a number");
      }
      epoch = Long.parseLong(e);
      v = v.substring(colon + 1);
      if (v.isEmpty()) {
        throw bad(source, version, "has nothing after the colon");
      }
    }
    int dash = v.lastIndexOf('-');
    String revision = dash < 0 ? "" : v.substring(dash + 1);
    String upstream = dash < 0 ? v : v.substring(0, dash);
    if (dash >= 0 && revision.isEmpty()) {
      throw bad(source, version, "has an empty revision");
    }
    if (upstream.isEmpty()) {
      throw bad(source, version, "has an empty upstream version");
    }
    return new DebVersion(epoch, upstream, revision);
  }

  private static BadInputException bad(String source, String version, String why) {
    return new BadInputException(source, "version '" + version + "' " + why + "; a Debian version is [epoch:]upstream[-revision]");
  }

  @Override
  public int compareTo(DebVersion o) {
    int c = Long.compare(epoch, o.epoch);
    if (c == 0) {
      c = verrevcmp(upstream, o.upstream);
    }
    return c != 0 ? c : verrevcmp(revision, o.revision);
  }

  /** True when this version satisfies {@code op other} (Debian's {@code <<}, {@code <=}, {@code =}, {@code >=}, {@code >>}). */
  public boolean satisfies(Relation.Op op, DebVersion other) {
    return switch (op) {
      case ANY -> true;
      case EQ -> compareTo(other) == 0;
      case LT -> compareTo(other) < 0;
      case LE -> compareTo(other) <= 0;
      case GT -> compareTo(other) > 0;
      case GE -> compareTo(other) >= 0;
    };
  }

  @Override
  public String toString() {
    return (epoch == 0 ? "" : epoch + ":") + upstream + (revision.isEmpty() ? "" : "-" + revision);
  }

  private static int order(String s, int i) {
    if (i >= s.length()) {
      return 0;
    }
    char c = s.charAt(i);
    if (c == '~') {
      return -1;
    }
    if (c >= '0' && c <= '9') {
      return 0;
    }
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? c : c + 256;
  }

  private static boolean digit(String s, int i) {
    return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
  }

  private static int verrevcmp(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() || j < b.length()) {
      while ((i < a.length() && !digit(a, i)) || (j < b.length() && !digit(b, j))) {
        int ac = order(a, i);
        int bc = order(b, j);
        if (ac != bc) {
          return ac - bc;
        }
        i++;
        j++;
      }
      while (i < a.length() && a.charAt(i) == '0') {
        i++;
      }
      while (j < b.length() && b.charAt(j) == '0') {
        j++;
      }
      int firstDiff = 0;
      while (digit(a, i) && digit(b, j)) {
        if (firstDiff == 0) {
          firstDiff = a.charAt(i) - b.charAt(j);
        }
        i++;
        j++;
      }
      if (digit(a, i)) {
        return 1;
      }
      if (digit(b, j)) {
        return -1;
      }
      if (firstDiff != 0) {
        return firstDiff;
      }
    }
    return 0;
  }
}
