package org.kmodkit.core.weak;

import java.util.Comparator;

/**
 * Orders kernel releases as rpmvercmp / sort -V do: digit runs compare numerically, letter runs
 * lexically, a digit run is newer than a letter run, separators only separate.
 */
public final class ReleaseOrder implements Comparator<String> {
  public static final ReleaseOrder INSTANCE = new ReleaseOrder();

  private ReleaseOrder() {}

  /** Newest first. */
  public static Comparator<String> newestFirst() {
    return INSTANCE.reversed();
  }

  @Override
  public int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (true) {
      while (i < a.length() && !Character.isLetterOrDigit(a.charAt(i))) {
        i++;
      }
      while (j < b.length() && !Character.isLetterOrDigit(b.charAt(j))) {
        j++;
      }
      if (i >= a.length() || j >= b.length()) {
        // whichever still has segments left is newer (rpmvercmp)
        return i >= a.length() ? (j >= b.length() ? 0 : -1) : 1;
      }
      boolean digits = Character.isDigit(a.charAt(i));
      int si = i;
      int sj = j;
      if (digits) {
        while (i < a.length() && Character.isDigit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && Character.isDigit(b.charAt(j))) {
          j++;
        }
      } else {
        while (i < a.length() && Character.isLetter(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && Character.isLetter(b.charAt(j))) {
          j++;
        }
      }
      if (sj == j) {
        return digits ? 1 : -1; // a number beats letters
      }
      String x = a.substring(si, i);
      String y = b.substring(sj, j);
      int c;
      if (digits) {
        String xs = x.replaceFirst("^0+(?=.)", "");
        String ys = y.replaceFirst("^0+(?=.)", "");
        c = xs.length() != ys.length() ? Integer.compare(xs.length(), ys.length()) : xs.compareTo(ys);
      } else {
        c = x.compareTo(y);
      }
      if (c != 0) {
        return c;
      }
    }
  }
}
