/**
 * Debian binary packages written and read in-process: ar + tar + xz, debsigs-style {@code _gpgorigin}
 * signatures, and the control fields an APT repository indexes.
 */
package org.kmodkit.formats.deb;
