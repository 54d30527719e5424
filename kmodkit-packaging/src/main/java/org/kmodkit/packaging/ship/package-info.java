/**
 * Shipping rebuilt drivers: package specs (format-neutral), RPM and Debian writers, YUM and APT
 * repository metadata, OpenPGP signatures, and the read-only repository server.
 */
package org.kmodkit.packaging.ship;
