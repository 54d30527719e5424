/**
 * Kernel module signing in-process: the PKCS#7 signature {@code scripts/sign-file} appends
 * (detached, no signed attributes, signer named by issuer and serial), made with BouncyCastle.
 */
package org.kmodkit.packaging.sign;
