/**
 * Byte-level input: a range-checked reader ({@link org.kmodkit.core.io.Bytes}), lazy file ranges,
 * and decompression (gzip, xz, zstd) as a step of its own.
 */
package org.kmodkit.core.io;
