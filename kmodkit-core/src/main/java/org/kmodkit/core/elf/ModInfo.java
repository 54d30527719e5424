package org.kmodkit.core.elf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** The {@code .modinfo} section: {@code key=value} strings, in file order, keys repeatable. */
public record ModInfo(List<Map.Entry<String, String>> entries) {
  public ModInfo {
    entries = List.copyOf(entries);
  }

  public static ModInfo empty() {
    return new ModInfo(List.of());
  }

  /** The first value of {@code key}, or null. */
  public String first(String key) {
    for (Map.Entry<String, String> e : entries) {
      if (e.getKey().equals(key)) {
        return e.getValue();
      }
    }
    return null;
  }

  public List<String> all(String key) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> e : entries) {
      if (e.getKey().equals(key)) {
        out.add(e.getValue());
      }
    }
    return Collections.unmodifiableList(out);
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
