/**
 * Kernel ABI values: CRCs, exported kernel symbols, Module.symvers, and {@link
 * org.kmodkit.core.abi.KernelAbi} (what a kernel exports, with which CRC, and how it checks
 * modules).
 */
package org.kmodkit.core.abi;
