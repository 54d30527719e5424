/**
 * The one port through which kmodkit starts programs on the machine ({@link
 * org.kmodkit.core.host.ProcessRunner}): builds, QEMU, depmod, rpm, the initramfs tools, apt-get.
 * The real runner forks; tests give a fake one.
 */
package org.kmodkit.core.host;
