/**
 * Signatures kmodkit makes: kernel module signatures as {@code scripts/sign-file} appends them (PKCS#7,
 * BouncyCastle), and the OpenPGP signatures of packages and repository metadata.
 */
package org.kmodkit.formats.sign;
