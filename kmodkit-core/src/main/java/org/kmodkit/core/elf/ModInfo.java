package org.kmodkit.core.elf;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The {@code .modinfo} section: {@code key=value} strings, in file order, keys repeatable. Kept as
 * the section's bytes (a tree's modules hold thousands of alias lines no check reads); a lookup
 * decodes only the values of its key.
 */
public final class ModInfo {
  private static final ModInfo EMPTY = new ModInfo(new byte[0]);

  private final byte[] raw;
  private final int[] starts; // where each non-empty string begins

  private ModInfo(byte[] raw) {
    this.raw = raw;
    int[] at = new int[16];
    int n = 0;
    for (int p = 0; p < raw.length; p = end(p) + 1) {
      if (raw[p] != 0) {
        if (n == at.length) {
          at = Arrays.copyOf(at, n * 2);
        }
        at[n++] = p;
      }
    }
    this.starts = Arrays.copyOf(at, n);
  }

  public static ModInfo empty() {
    return EMPTY;
  }

  /**
   * The strings of a .modinfo section (this array, kept as given): NUL-separated, empty ones
   * skipped, a last one without NUL ending with the section; one without {@code =} after a
   * non-empty key is no entry.
   */
  static ModInfo of(byte[] section) {
    return new ModInfo(section);
  }

  /** Every entry, decoded as UTF-8. */
  public List<Map.Entry<String, String>> entries() {
    List<Map.Entry<String, String>> out = new ArrayList<>(starts.length);
    for (int p : starts) {
      int eq = equalsSign(p);
      if (eq > p) {
        out.add(new AbstractMap.SimpleImmutableEntry<>(decode(p, eq), decode(eq + 1, end(p))));
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** The first value of {@code key}, or null. */
  public String first(String key) {
    List<String> v = values(key, true);
    return v.isEmpty() ? null : v.get(0);
  }

  public List<String> all(String key) {
    return values(key, false);
  }

  private List<String> values(String key, boolean firstOnly) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(1);
    for (int p : starts) {
      int eq = p + k.length;
      if (eq < raw.length && raw[eq] == '=' && k.length > 0 && Arrays.equals(raw, p, eq, k, 0, k.length) && equalsSign(p) == eq) {
        out.add(decode(eq + 1, end(p)));
        if (firstOnly) {
          break;
        }
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** The end (NUL or the section's end) of the string at {@code p}. */
  private int end(int p) {
    while (p < raw.length && raw[p] != 0) {
      p++;
    }
    return p;
  }

  /** Where the first '=' of the string at {@code p} is, or -1. */
  private int equalsSign(int p) {
    for (int i = p; i < raw.length && raw[i] != 0; i++) {
      if (raw[i] == '=') {
        return i;
      }
    }
    return -1;
  }

  private String decode(int from, int to) {
    return new String(raw, from, to - from, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModInfo m && entries().equals(m.entries());
  }

  @Override
  public int hashCode() {
    return entries().hashCode();
  }

  @Override
  public String toString() {
    return "ModInfo[entries=" + entries() + "]";
  }

  public String name() {
    return first("name");
  }

  public String vermagic() {
    return first("vermagic");
  }

  public String license() {
    return first("license");
  }

  /**
   * Module names from {@code depends=} (comma separated, possibly empty), as module names: modpost
   * writes file names there ("pci-hyperv-intf"), the kernel knows the module as "pci_hyperv_intf".
   */
  public List<String> depends() {
    List<String> out = new ArrayList<>();
    for (String v : all("depends")) {
      for (String d : v.split(",")) {
        if (!d.isBlank()) {
          out.add(d.trim().replace('-', '_'));
        }
      }
    }
    return out;
  }

  public List<String> importedNamespaces() {
    return all("import_ns");
  }

  /** The licence strings the kernel treats as GPL-compatible (license_is_gpl_compatible). */
  public static boolean isGplCompatible(String license) {
    if (license == null) {
      return false;
    }
    switch (license) {
      case "GPL":
      case "GPL v2":
      case "GPL and additional rights":
      case "Dual BSD/GPL":
      case "Dual MIT/GPL":
      case "Dual MPL/GPL":
        return true;
      default:
        return false;
    }
  }
}
