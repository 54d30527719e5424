/**
 * RPM v4 packages written and read in-process: lead, signature header, immutable header, gzip cpio
 * payload. The format is written here rather than through a library so every byte that rpm hashes
 * and signs is ours to keep reproducible, and the same tag table serves writer and reader.
 */
package org.kmodkit.formats.rpm;
