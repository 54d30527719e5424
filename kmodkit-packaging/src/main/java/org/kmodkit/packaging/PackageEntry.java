package org.kmodkit.packaging;

/**
 * One file of a package payload: its absolute path as installed ("/lib/modules/…"), size, and
 * whether it is a regular file or a symbolic link (with target).
 */
public record PackageEntry(String path, long size, boolean regular, String linkTarget) {}
