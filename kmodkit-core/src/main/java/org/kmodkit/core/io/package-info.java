/**
 * Byte-level input: a range-checked reader ({@link org.kmodkit.core.io.Bytes}), lazy file ranges,
 * and decompression as a step of its own, the one bounded way kmodkit expands any input: an
 * {@link org.kmodkit.core.io.ExpansionLimit} per kind, a {@link org.kmodkit.core.io.MemoryBudget}
 * shared by parallel readers.
 */
package org.kmodkit.core.io;
