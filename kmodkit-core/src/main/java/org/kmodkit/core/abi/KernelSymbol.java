package org.kmodkit.core.abi;

import java.util.Objects;

/**
 * One exported kernel symbol: its CRC (null when the exporter was built without modversions), the
 * exporter ({@code vmlinux} or a module name), export type and namespace ("" for none).
 */
public record KernelSymbol(String name, Crc crc, String exporter, ExportType type, String namespace) {
  public static final String VMLINUX = "vmlinux";

  public KernelSymbol {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(exporter, "exporter");
    Objects.requireNonNull(type, "type");
    namespace = namespace == null ? "" : namespace;
  }

  public boolean fromVmlinux() {
    return VMLINUX.equals(exporter);
  }
}
