package org.kmodkit.core.abi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.kmodkit.core.elf.ElfArch;

/** A kernel's .config: the few options that change how modules are checked, and the rest on request. */
public record KernelConfig(Map<String, String> values) {
  public KernelConfig {
    values = Map.copyOf(values);
  }

  public static KernelConfig empty() {
    return new KernelConfig(Map.of());
  }

  public static KernelConfig parse(InputStream in) throws IOException {
    Map<String, String> v = new HashMap<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("CONFIG_")) {
          int eq = line.indexOf('=');
          if (eq > 0) {
            String val = line.substring(eq + 1);
            if (val.length() >= 2 && val.startsWith("\"") && val.endsWith("\"")) {
              val = val.substring(1, val.length() - 1);
            }
            v.put(line.substring(7, eq), val);
          }
        }
      }
    }
    return new KernelConfig(v);
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  /** True when {@code CONFIG_<name>} is y (or m). */
  public boolean enabled(String name) {
    String v = values.get(name);
    return "y".equals(v) || "m".equals(v);
  }

  public String get(String name) {
    return values.get(name);
  }

  /**
   * The architecture this config builds for, as its modules' ELF header gives it (class, byte
   * order, machine), or null when it sets no CONFIG_&lt;ARCH&gt; kmodkit knows.
   */
  public ElfArch arch() {
    ByteOrder endian = enabled("CPU_BIG_ENDIAN") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    int bits = enabled("64BIT") ? 64 : 32;
    if (enabled("X86_64")) {
      return new ElfArch(64, ByteOrder.LITTLE_ENDIAN, ElfArch.EM_X86_64);
    } else if (enabled("X86_32")) {
      return new ElfArch(32, ByteOrder.LITTLE_ENDIAN, ElfArch.EM_386);
    } else if (enabled("ARM64")) {
      return new ElfArch(64, endian, ElfArch.EM_AARCH64);
    } else if (enabled("ARM")) {
      return new ElfArch(32, endian, ElfArch.EM_ARM);
    } else if (enabled("PPC64")) {
      return new ElfArch(64, enabled("CPU_LITTLE_ENDIAN") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN, ElfArch.EM_PPC64);
    } else if (enabled("PPC32")) {
      return new ElfArch(32, ByteOrder.BIG_ENDIAN, ElfArch.EM_PPC);
    } else if (enabled("S390")) {
      return new ElfArch(64, ByteOrder.BIG_ENDIAN, ElfArch.EM_S390);
    } else if (enabled("MIPS")) {
      return new ElfArch(bits, endian, ElfArch.EM_MIPS);
    } else if (enabled("RISCV")) {
      return new ElfArch(bits, ByteOrder.LITTLE_ENDIAN, ElfArch.EM_RISCV);
    } else if (enabled("LOONGARCH")) {
      return new ElfArch(64, ByteOrder.LITTLE_ENDIAN, ElfArch.EM_LOONGARCH);
    }
    return null;
  }
}
