package org.kmodkit.formats;

/**
 * One file of a package payload: its absolute path as installed ("/lib/modules/…"), size, whether
 * it is a regular file or a symbolic link (with target), and its permission bits.
 */
public record PackageEntry(String path, long size, boolean regular, String linkTarget, int mode) {}
