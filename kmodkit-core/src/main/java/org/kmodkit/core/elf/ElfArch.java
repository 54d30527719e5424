package org.kmodkit.core.elf;

import java.nio.ByteOrder;

/** An ELF file's class, byte order and machine, with the names users know them by. */
public record ElfArch(int bits, ByteOrder order, int machine) {
  public static final int EM_386 = 3;
  public static final int EM_MIPS = 8;
  public static final int EM_PPC = 20;
  public static final int EM_PPC64 = 21;
  public static final int EM_S390 = 22;
  public static final int EM_ARM = 40;
  public static final int EM_SPARCV9 = 43;
  public static final int EM_X86_64 = 62;
  public static final int EM_AARCH64 = 183;
  public static final int EM_RISCV = 243;
  public static final int EM_LOONGARCH = 258;

  public boolean littleEndian() {
    return order == ByteOrder.LITTLE_ENDIAN;
  }

  /** A short name: x86_64, i386, aarch64, ppc64le, s390x, … */
  public String machineName() {
    switch (machine) {
      case EM_386:
        return "i386";
      case EM_X86_64:
        return "x86_64";
      case EM_AARCH64:
        return littleEndian() ? "aarch64" : "aarch64_be";
      case EM_ARM:
        return "arm";
      case EM_PPC:
        return "ppc";
      case EM_PPC64:
        return littleEndian() ? "ppc64le" : "ppc64";
      case EM_S390:
        return bits == 64 ? "s390x" : "s390";
      case EM_MIPS:
        return "mips";
      case EM_SPARCV9:
        return "sparc64";
      case EM_RISCV:
        return "riscv" + bits;
      case EM_LOONGARCH:
        return "loongarch64";
      default:
        return "machine " + machine;
    }
  }

  @Override
  public String toString() {
    return machineName() + " (ELF" + bits + ", " + (littleEndian() ? "little" : "big") + " endian)";
  }
}
