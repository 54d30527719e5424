/**
 * APT repository metadata (Packages, Release, InRelease, Release.gpg) for a directory of .deb files,
 * switched in atomically through a {@code dists} symlink.
 */
package org.kmodkit.repo.apt;
