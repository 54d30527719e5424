package org.kmodkit.core.abi;

/** How a symbol is exported; GPL-only exports are invisible to modules without a GPL-compatible licence. */
public enum ExportType {
  EXPORT_SYMBOL("__ksymtab", false),
  EXPORT_SYMBOL_GPL("__ksymtab_gpl", true),
  EXPORT_SYMBOL_GPL_FUTURE("__ksymtab_gpl_future", false),
  EXPORT_UNUSED_SYMBOL("__ksymtab_unused", false),
  EXPORT_UNUSED_SYMBOL_GPL("__ksymtab_unused_gpl", true);

  private static final ExportType[] ALL = values(); // values() copies its array on every call

  private final String section;
  private final boolean gplOnly;

  ExportType(String section, boolean gplOnly) {
    this.section = section;
    this.gplOnly = gplOnly;
  }

  public boolean gplOnly() {
    return gplOnly;
  }

  /** The __ksymtab section a module keeps these exports in. */
  public String section() {
    return section;
  }

  /** The type for a __ksymtab* section name, or null. */
  public static ExportType ofSection(String name) {
    if (!name.startsWith("__ksymtab")) {
      return null;
    }
    for (ExportType t : ALL) {
      if (t.section.equals(name)) {
        return t;
      }
    }
    return null;
  }

  /** The type for its Module.symvers spelling, or null. */
  public static ExportType ofSymvers(String word) {
    for (ExportType t : ALL) {
      if (t.name().equals(word)) {
        return t;
      }
    }
    return null;
  }
}
