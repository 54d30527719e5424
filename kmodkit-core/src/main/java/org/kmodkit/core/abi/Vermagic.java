package org.kmodkit.core.abi;

import org.kmodkit.core.elf.ElfArch;

/**
 * The version magic string (include/linux/vermagic.h) and the loader's comparison of it
 * (same_magic in kernel/module/version.c).
 */
public final class Vermagic {
  private Vermagic() {}

  /** What {@link #derive} found: the vermagic, or why .config does not tell it (exactly one is null). */
  public record Derived(String magic, String unknown) {
    static Derived because(String why) {
      return new Derived(null, why);
    }
  }

  /**
   * The vermagic a kernel with {@code release} and {@code config} gives its modules, built as
   * VERMAGIC_STRING is: the generic tokens, then the architecture's MODULE_ARCH_VERMAGIC
   * (arch/*&#47;include/asm/vermagic.h). Where .config does not tell a token, says why instead of
   * guessing: a guess would refuse every module of a kernel kmodkit does not know.
   */
  public static Derived derive(String release, KernelConfig config) {
    if (config.isEmpty()) {
      return Derived.because("no .config");
    }
    if (release == null) {
      return Derived.because("the kernel release is unknown");
    }
    ElfArch arch = config.arch();
    if (arch == null) {
      return Derived.because("its .config names no architecture kmodkit knows (CONFIG_X86_64, CONFIG_ARM64, …)");
    }
    if (config.enabled("RANDSTRUCT") || config.enabled("GCC_PLUGIN_RANDSTRUCT")) {
      return Derived.because("CONFIG_RANDSTRUCT adds a hash of the build's seed, which .config does not hold");
    }
    Derived archPart = archMagic(arch, config);
    if (archPart.magic() == null) {
      return Derived.because(archPart.unknown());
    }
    StringBuilder sb = new StringBuilder(release).append(' ');
    if (config.enabled("SMP")) {
      sb.append("SMP ");
    }
    if (config.enabled("PREEMPT_BUILD") || config.enabled("PREEMPT")) { // CONFIG_PREEMPT before 5.16
      sb.append("preempt ");
    } else if (config.enabled("PREEMPT_RT")) {
      sb.append("preempt_rt ");
    }
    if (config.enabled("MODULE_UNLOAD")) {
      sb.append("mod_unload ");
    }
    if (config.enabled("MODVERSIONS")) {
      sb.append("modversions ");
    }
    return new Derived(sb.append(archPart.magic()).toString(), null);
  }

  /** MODULE_ARCH_VERMAGIC, per arch/*&#47;include/asm/vermagic.h (asm-generic's is empty). */
  private static Derived archMagic(ElfArch arch, KernelConfig c) {
    switch (arch.machine()) {
      case ElfArch.EM_X86_64:
      case ElfArch.EM_S390:
        return new Derived("", null);
      case ElfArch.EM_386:
        return family(c, X86_FAMILIES, "");
      case ElfArch.EM_AARCH64:
        return new Derived("aarch64", null);
      case ElfArch.EM_RISCV:
        return new Derived("riscv", null);
      case ElfArch.EM_LOONGARCH:
        return new Derived("LOONGARCH " + kernelType(c), null);
      case ElfArch.EM_MIPS:
        return family(c, MIPS_FAMILIES, kernelType(c));
      case ElfArch.EM_PPC:
      case ElfArch.EM_PPC64:
        return new Derived((c.enabled("ARCH_USING_PATCHABLE_FUNCTION_ENTRY") ? "patchable-function-entry " : c.enabled("MPROFILE_KERNEL") ? "mprofile-kernel " : "")
            + (c.enabled("RELOCATABLE") ? "relocatable " : ""), null);
      case ElfArch.EM_ARM:
        // __LINUX_ARM_ARCH__ is set by arch/arm/Makefile: the last (oldest) enabled CPU_32v* wins
        int version = 0;
        for (String[] v : ARM_VERSIONS) {
          if (c.enabled(v[0]) && (!v[0].equals("CPU_32v6K") || c.enabled("CPU_32v6"))) {
            version = Integer.parseInt(v[1]);
          }
        }
        if (version == 0) {
          return Derived.because("no CONFIG_CPU_32v* is set, so __LINUX_ARM_ARCH__ is unknown");
        }
        return new Derived("ARMv" + version + " " + (c.enabled("THUMB2_KERNEL") ? "thumb2 " : "") + (c.enabled("ARM_PATCH_PHYS_VIRT") ? "p2v8 " : ""), null);
      default:
        return Derived.because("kmodkit does not know " + arch.machineName() + "'s MODULE_ARCH_VERMAGIC");
    }
  }

  private static String kernelType(KernelConfig c) {
    return c.enabled("32BIT") ? "32BIT " : c.enabled("64BIT") ? "64BIT " : "";
  }

  /** MODULE_PROC_FAMILY: the first CPU option of the header's #if chain that .config enables. */
  private static Derived family(KernelConfig c, String[][] families, String suffix) {
    for (String[] f : families) {
      if (c.enabled(f[0])) {
        return new Derived(f[1] + " " + suffix, null);
      }
    }
    return Derived.because("its processor family (MODULE_PROC_FAMILY: CONFIG_" + families[0][0] + ", …) is none kmodkit knows");
  }

  private static final String[][] ARM_VERSIONS = {
    {"CPU_32v7M", "7"}, {"CPU_32v7", "7"}, {"CPU_32v6", "6"}, {"CPU_32v6K", "6"}, {"CPU_32v5", "5"}, {"CPU_32v4T", "4"}, {"CPU_32v4", "4"}, {"CPU_32v3", "3"},
  };

  private static final String[][] X86_FAMILIES = {
    {"M486SX", "486SX"}, {"M486", "486"}, {"M586", "586"}, {"M586TSC", "586TSC"}, {"M586MMX", "586MMX"}, {"MCORE2", "CORE2"}, {"MATOM", "ATOM"},
    {"M686", "686"}, {"MPENTIUMII", "PENTIUMII"}, {"MPENTIUMIII", "PENTIUMIII"}, {"MPENTIUMM", "PENTIUMM"}, {"MPENTIUM4", "PENTIUM4"}, {"MK6", "K6"},
    {"MK7", "K7"}, {"MK8", "K8"}, {"MELAN", "ELAN"}, {"MCRUSOE", "CRUSOE"}, {"MEFFICEON", "EFFICEON"}, {"MWINCHIPC6", "WINCHIPC6"},
    {"MWINCHIP3D", "WINCHIP3D"}, {"MCYRIXIII", "CYRIXIII"}, {"MVIAC3_2", "VIAC3-2"}, {"MVIAC7", "VIAC7"}, {"MGEODEGX1", "GEODEGX1"}, {"MGEODE_LX", "GEODE"},
  };

  private static final String[][] MIPS_FAMILIES = {
    {"CPU_BMIPS", "BMIPS"}, {"CPU_MIPS32_R1", "MIPS32_R1"}, {"CPU_MIPS32_R2", "MIPS32_R2"}, {"CPU_MIPS32_R6", "MIPS32_R6"}, {"CPU_MIPS64_R1", "MIPS64_R1"},
    {"CPU_MIPS64_R2", "MIPS64_R2"}, {"CPU_MIPS64_R6", "MIPS64_R6"}, {"CPU_R3000", "R3000"}, {"CPU_TX39XX", "TX39XX"}, {"CPU_VR41XX", "VR41XX"},
    {"CPU_R4X00", "R4X00"}, {"CPU_TX49XX", "TX49XX"}, {"CPU_R5000", "R5000"}, {"CPU_R5500", "R5500"}, {"CPU_NEVADA", "NEVADA"}, {"CPU_R10000", "R10000"},
    {"CPU_RM7000", "RM7000"}, {"CPU_SB1", "SB1"}, {"CPU_LOONGSON32", "LOONGSON32"}, {"CPU_LOONGSON2EF", "LOONGSON2EF"}, {"CPU_LOONGSON64", "LOONGSON64"},
    {"CPU_CAVIUM_OCTEON", "OCTEON"}, {"CPU_XLR", "XLR"}, {"CPU_XLP", "XLP"},
  };

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
