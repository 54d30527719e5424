/**
 * ELF reading for kernel modules: a range-checked ELF32/ELF64, little/big endian reader that
 * fetches only the sections asked for, and {@link org.kmodkit.core.elf.ModuleFile}, what a module
 * declares (modinfo, symbol versions, exports, imports, signature).
 */
package org.kmodkit.core.elf;
