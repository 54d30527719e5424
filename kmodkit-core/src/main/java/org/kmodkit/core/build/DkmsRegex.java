package org.kmodkit.core.build;

import java.util.regex.Pattern;
import org.kmodkit.core.BadInputException;

/**
 * The regular expressions of dkms.conf (MAKE_MATCH, BUILD_EXCLUSIVE_KERNEL, BUILD_EXCLUSIVE_ARCH),
 * which bash matches with {@code =~} (POSIX ERE). A driver source is untrusted input, so an
 * expression is first checked against the ERE subset real files use — literals, {@code .}, bracket
 * classes, anchors, groups, alternation, one quantifier per atom — and refused otherwise, so that
 * compiling it never fails; matching then runs with a bounded budget, so no expression can stall
 * a run (the inputs are short: a release, a machine name).
 */
final class DkmsRegex {
  private static final String SPECIAL = ".[]()|*+?{}^$\\";
  private static final int MAX_REPEAT = 1000;
  private static final int BUDGET = 1_000_000;

  private DkmsRegex() {}

  /** {@code value} when it is an ERE of the supported subset; the refusal names file and key. */
  static String validate(String file, String key, String value) throws BadInputException {
    String why = new Checker(value).check();
    if (why != null) {
      throw new BadInputException(file, key + "=\"" + value + "\" is not a regular expression kmodkit accepts (" + why + "); use literals, ., [...], ^, $, (...), |, *, +, ?, {m,n}");
    }
    return value;
  }

  /** True when {@code regex} (validated) matches somewhere in {@code input}, as bash's =~ does. */
  static boolean find(String regex, String input) {
    try {
      return Pattern.compile(regex).matcher(new Budgeted(input)).find();
    } catch (Budgeted.Exhausted e) {
      return false; // an expression this costly on a short name is no match DKMS users meant
    }
  }

  /** A recursive-descent check of the subset; returns why it is refused, or null. */
  private static final class Checker {
    private final String s;
    private int i;
    private int depth;

    Checker(String s) {
      this.s = s;
    }

    String check() {
      String why = alternation();
      if (why == null && i < s.length()) {
        why = "unbalanced ')' at " + i;
      }
      return why;
    }

    private String alternation() {
      String why = sequence();
      while (why == null && i < s.length() && s.charAt(i) == '|') {
        i++;
        why = sequence();
      }
      return why;
    }

    private String sequence() {
      while (i < s.length() && s.charAt(i) != '|' && s.charAt(i) != ')') {
        char c = s.charAt(i);
        boolean quantifiable = true;
        if (c == '(') {
          if (++depth > 50) {
            return "groups nested too deep";
          }
          i++;
          String why = alternation();
          if (why != null) {
            return why;
          }
          if (i >= s.length() || s.charAt(i) != ')') {
            return "unbalanced '('";
          }
          i++;
          depth--;
        } else if (c == '[') {
          String why = bracket();
          if (why != null) {
            return why;
          }
        } else if (c == '^' || c == '$') {
          i++;
          quantifiable = false;
        } else if (c == '\\') {
          if (i + 1 >= s.length() || SPECIAL.indexOf(s.charAt(i + 1)) < 0 && "/-".indexOf(s.charAt(i + 1)) < 0) {
            return "'\\' escapes only punctuation";
          }
          i += 2;
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
          return "'" + c + "' at " + i + " repeats nothing";
        } else if (c == ']' || c == '}') {
          return "unbalanced '" + c + "' at " + i;
        } else if (Character.isISOControl(c)) {
          return "a control character";
        } else {
          i++;
        }
        if (i < s.length() && "*+?{".indexOf(s.charAt(i)) >= 0) {
          if (!quantifiable) {
            return "a quantifier after an anchor";
          }
          String why = quantifier();
          if (why != null) {
            return why;
          }
          if (i < s.length() && "*+?{".indexOf(s.charAt(i)) >= 0) {
            return "two quantifiers in a row at " + i;
          }
        }
      }
      return null;
    }

    private String quantifier() {
      char c = s.charAt(i);
      if (c != '{') {
        i++;
        return null;
      }
      int close = s.indexOf('}', i);
      if (close < 0) {
        return "unbalanced '{'";
      }
      String body = s.substring(i + 1, close);
      if (!body.matches("[0-9]{1,4}(,[0-9]{0,4})?")) {
        return "{" + body + "} is not {m}, {m,} or {m,n}";
      }
      String[] mn = body.split(",", -1);
      int m = Integer.parseInt(mn[0]);
      int n = mn.length == 1 ? m : mn[1].isEmpty() ? m : Integer.parseInt(mn[1]);
      if (m > MAX_REPEAT || n > MAX_REPEAT || n < m) {
        return "{" + body + "} repeats out of order or more than " + MAX_REPEAT + " times";
      }
      i = close + 1;
      return null;
    }

    private String bracket() {
      int start = i++;
      if (i < s.length() && s.charAt(i) == '^') {
        i++;
      }
      int members = 0;
      int prev = -1;
      while (i < s.length() && s.charAt(i) != ']') {
        char c = s.charAt(i);
        if (c == '[' || c == '&' && i + 1 < s.length() && s.charAt(i + 1) == '&') {
          return "'[' or '&&' inside a bracket class at " + i;
        }
        if (Character.isISOControl(c)) {
          return "a control character";
        }
        int value;
        if (c == '\\') {
          if (i + 1 >= s.length() || SPECIAL.indexOf(s.charAt(i + 1)) < 0 && "/-".indexOf(s.charAt(i + 1)) < 0) {
            return "'\\' escapes only punctuation";
          }
          value = s.charAt(i + 1);
          i += 2;
        } else if (c == '-' && prev >= 0 && i + 1 < s.length() && s.charAt(i + 1) != ']') {
          char to = s.charAt(i + 1);
          if (to == '\\' || to == '[' || to < prev) {
            return "bad range in a bracket class at " + i;
          }
          i += 2;
          prev = -1;
          members++;
          continue;
        } else {
          value = c;
          i++;
        }
        prev = value;
        members++;
      }
      if (i >= s.length()) {
        return "unbalanced '[' at " + start;
      }
      if (members == 0) {
        return "an empty bracket class at " + start;
      }
      i++;
      return null;
    }
  }

  /** The input, counting reads: a match that reads it a million times has gone astray. */
  private static final class Budgeted implements CharSequence {
    static final class Exhausted extends RuntimeException {
      private static final long serialVersionUID = 1L;

      Exhausted() {
        super(null, null, false, false);
      }
    }

    private final String s;
    private final int[] left;

    Budgeted(String s) {
      this(s, new int[] {BUDGET});
    }

    private Budgeted(String s, int[] left) {
      this.s = s;
      this.left = left;
    }

    @Override
    public char charAt(int index) {
      if (--left[0] < 0) {
        throw new Exhausted();
      }
      return s.charAt(index);
    }

    @Override
    public int length() {
      return s.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new Budgeted(s.substring(start, end), left);
    }

    @Override
    public String toString() {
      return s;
    }
  }
}
