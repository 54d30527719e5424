package org.kmodkit.core.abi;

/**
 * The version magic string (include/linux/vermagic.h) and the loader's comparison of it
 * (same_magic in kernel/module/version.c).
 */
public final class Vermagic {
  private Vermagic() {}

  /**
   * The vermagic a kernel with {@code release} and {@code config} gives its modules, or null when
   * the config is unknown. Covers the generic tokens and x86's; other architectures add tokens
   * this does not know, so a tree module's vermagic is preferred where one exists.
   */
  public static String fromConfig(String release, KernelConfig config) {
    if (release == null || config.isEmpty()) {
      return null;
    }
    StringBuilder sb = new StringBuilder(release).append(' ');
    if (config.enabled("SMP")) {
      sb.append("SMP ");
    }
    if (config.enabled("PREEMPT_RT")) {
      sb.append("preempt_rt ");
    } else if (config.enabled("PREEMPT_BUILD") || config.enabled("PREEMPT")) {
      sb.append("preempt ");
    }
    if (config.enabled("MODULE_UNLOAD")) {
      sb.append("mod_unload ");
    }
    if (config.enabled("MODVERSIONS")) {
      sb.append("modversions ");
    }
    if (config.enabled("X86_32")) {
      return null; // MODULE_PROC_FAMILY depends on the CPU choice; take it from a module instead
    }
    if (config.enabled("RANDSTRUCT") || config.enabled("GCC_PLUGIN_RANDSTRUCT")) {
      return null; // the seed is not in .config
    }
    return sb.toString();
  }

  /**
   * The loader's comparison: when the module carries symbol versions the release (first token) is
   * ignored, otherwise the strings must be equal.
   */
  public static boolean sameMagic(String module, String kernel, boolean moduleHasVersions) {
    if (moduleHasVersions) {
      return afterRelease(module).equals(afterRelease(kernel));
    }
    return module.equals(kernel);
  }

  private static String afterRelease(String magic) {
    int sp = magic.indexOf(' ');
    return sp < 0 ? "" : magic.substring(sp);
  }

  /** The release (first token) of a vermagic string. */
  public static String release(String magic) {
    int sp = magic.indexOf(' ');
    return sp < 0 ? magic : magic.substring(0, sp);
  }
}
