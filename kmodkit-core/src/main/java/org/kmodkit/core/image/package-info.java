/**
 * The kernel image as an ABI source: an x86 bzImage's setup header, its compressed payload (LZ4
 * legacy, zstd, xz, gzip, lzma, bzip2, lzo), and the export table of the vmlinux ELF inside
 * ({@code __ksymtab*}, {@code __kcrctab*}, {@code __ksymtab_strings}).
 */
package org.kmodkit.core.image;
