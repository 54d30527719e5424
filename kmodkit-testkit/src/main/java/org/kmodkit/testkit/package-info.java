/**
 * Test-only fixtures built in code: synthetic kernel modules (any ELF class and byte order,
 * versions, exports, signatures, compression) and fake system roots.
 */
package org.kmodkit.testkit;
