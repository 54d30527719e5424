/**
 * Debian and RPM packages read in-process (ar + tar, RPM lead/headers + cpio payload), without
 * installing them: kernel ABIs from kernel packages, module sets from driver packages.
 */
package org.kmodkit.packaging;
