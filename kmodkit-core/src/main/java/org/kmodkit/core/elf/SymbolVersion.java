package org.kmodkit.core.elf;

import org.kmodkit.core.abi.Crc;

/** One entry of a module's {@code __versions} (or extended versions): the CRC it was built against. */
public record SymbolVersion(String name, Crc crc) {}
