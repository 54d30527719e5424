package org.kmodkit.core.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.elf.ElfArch;

/**
 * The vermagic derived from .config per architecture, as arch/*&#47;include/asm/vermagic.h builds
 * it; the expected strings are those Debian bookworm's own modules carry (bench/ARCH.md).
 */
class VermagicTest {
  static final String GENERIC = "SMP=y MODULE_UNLOAD=y MODVERSIONS=y ";

  static KernelConfig config(String options) {
    Map<String, String> m = new HashMap<>();
    for (String o : options.trim().split("\\s+")) {
      m.put(o.substring(0, o.indexOf('=')), o.substring(o.indexOf('=') + 1));
    }
    return new KernelConfig(m);
  }

  static String derived(String options) {
    return Vermagic.derive("R", config(GENERIC + options)).magic();
  }

  @Test
  void everyDebianArchitectureGetsItsOwnTokensAfterTheGenericOnes() {
    assertThat(derived("X86_64=y PREEMPT_BUILD=y 64BIT=y")).isEqualTo("R SMP preempt mod_unload modversions ");
    assertThat(derived("ARM64=y 64BIT=y CPU_LITTLE_ENDIAN=y")).isEqualTo("R SMP mod_unload modversions aarch64");
    assertThat(derived("ARM=y CPU_32v7=y ARM_PATCH_PHYS_VIRT=y")).isEqualTo("R SMP mod_unload modversions ARMv7 p2v8 ");
    assertThat(derived("X86_32=y MGEODE_LX=y")).isEqualTo("R SMP mod_unload modversions GEODE "); // Debian's 686 flavour
    assertThat(derived("X86_32=y M686=y MGEODE_LX=y")).isEqualTo("R SMP mod_unload modversions 686 "); // the header's #elif order
    assertThat(derived("MIPS=y 64BIT=y CPU_LITTLE_ENDIAN=y CPU_MIPS64_R2=y")).isEqualTo("R SMP mod_unload modversions MIPS64_R2 64BIT ");
    assertThat(derived("PPC64=y CPU_LITTLE_ENDIAN=y MPROFILE_KERNEL=y RELOCATABLE=y")).isEqualTo("R SMP mod_unload modversions mprofile-kernel relocatable ");
    assertThat(derived("S390=y 64BIT=y")).isEqualTo("R SMP mod_unload modversions ");
    assertThat(derived("RISCV=y 64BIT=y")).isEqualTo("R SMP mod_unload modversions riscv");
    assertThat(derived("LOONGARCH=y 64BIT=y")).isEqualTo("R SMP mod_unload modversions LOONGARCH 64BIT ");
  }

  @Test
  void armTakesTheOldestEnabledArchitectureVersionAndTheThumb2Token() {
    assertThat(derived("ARM=y CPU_32v6=y CPU_32v6K=y CPU_32v7=y THUMB2_KERNEL=y ARM_PATCH_PHYS_VIRT=y")).isEqualTo("R SMP mod_unload modversions ARMv6 thumb2 p2v8 ");
    assertThat(derived("ARM=y CPU_32v6K=y CPU_32v7=y")).endsWith(" ARMv7 "); // v6K counts only with v6
  }

  @Test
  void preemptRtAndTheOlderPreemptOptionAreTheKernelsTokens() {
    assertThat(derived("X86_64=y PREEMPT_RT=y")).isEqualTo("R SMP preempt_rt mod_unload modversions ");
    assertThat(derived("X86_64=y PREEMPT=y")).isEqualTo("R SMP preempt mod_unload modversions ");
  }

  @Test
  void whatConfigDoesNotTellIsNamedNotGuessed() {
    assertThat(Vermagic.derive("R", config(GENERIC + "X86_32=y MNEWCPU=y")).unknown()).contains("processor family").contains("CONFIG_M486SX");
    assertThat(Vermagic.derive("R", config(GENERIC + "ARM=y")).unknown()).contains("CONFIG_CPU_32v*");
    assertThat(Vermagic.derive("R", config(GENERIC + "MIPS=y 64BIT=y")).unknown()).contains("processor family");
    assertThat(Vermagic.derive("R", config(GENERIC)).unknown()).contains("names no architecture");
    assertThat(Vermagic.derive("R", config(GENERIC + "X86_64=y RANDSTRUCT_FULL=y RANDSTRUCT=y")).unknown()).contains("CONFIG_RANDSTRUCT");
    assertThat(Vermagic.derive(null, config(GENERIC + "X86_64=y")).unknown()).contains("release");
    assertThat(Vermagic.derive("R", KernelConfig.empty()).magic()).isNull();
  }

  @Test
  void theConfigNamesTheArchitectureItsModulesAreBuiltFor() {
    assertThat(config("X86_64=y").arch()).isEqualTo(new ElfArch(64, ByteOrder.LITTLE_ENDIAN, ElfArch.EM_X86_64));
    assertThat(config("ARM64=y CPU_BIG_ENDIAN=y").arch()).isEqualTo(new ElfArch(64, ByteOrder.BIG_ENDIAN, ElfArch.EM_AARCH64));
    assertThat(config("ARM=y").arch()).isEqualTo(new ElfArch(32, ByteOrder.LITTLE_ENDIAN, ElfArch.EM_ARM));
    assertThat(config("X86_32=y").arch()).isEqualTo(new ElfArch(32, ByteOrder.LITTLE_ENDIAN, ElfArch.EM_386));
    assertThat(config("PPC64=y CPU_LITTLE_ENDIAN=y").arch()).isEqualTo(new ElfArch(64, ByteOrder.LITTLE_ENDIAN, ElfArch.EM_PPC64));
    assertThat(config("PPC64=y").arch()).isEqualTo(new ElfArch(64, ByteOrder.BIG_ENDIAN, ElfArch.EM_PPC64));
    assertThat(config("S390=y 64BIT=y").arch()).isEqualTo(new ElfArch(64, ByteOrder.BIG_ENDIAN, ElfArch.EM_S390));
    assertThat(config("MIPS=y 64BIT=y CPU_LITTLE_ENDIAN=y").arch()).isEqualTo(new ElfArch(64, ByteOrder.LITTLE_ENDIAN, ElfArch.EM_MIPS));
    assertThat(config("SMP=y").arch()).isNull();
  }
}
