package org.kmodkit.core.image;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.kmodkit.core.abi.KernelSymbol;
import org.kmodkit.core.elf.ElfArch;

/**
 * What a kernel image tells about its ABI: release and version banner (from the bzImage header),
 * how the payload was compressed, and every symbol vmlinux exports with CRC, type and namespace.
 */
public record KernelImage(String source, String release, String banner, String format, PayloadCompression compression, ElfArch arch, long vmlinuxBytes, List<KernelSymbol> exports) {
  public KernelImage {
    exports = List.copyOf(exports);
  }

  public Set<String> namespaces() {
    Set<String> out = new TreeSet<>();
    for (KernelSymbol s : exports) {
      if (!s.namespace().isEmpty()) {
        out.add(s.namespace());
      }
    }
    return out;
  }
}
