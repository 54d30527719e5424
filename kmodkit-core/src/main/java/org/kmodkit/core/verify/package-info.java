/**
 * Proof by the real kernel: plan which modules to load and in what order, write an initramfs
 * (cpio newc) whose init loads, unloads and reloads them, boot the target kernel under QEMU through
 * a {@link org.kmodkit.core.host.ProcessRunner}, and read the kernel's own verdicts off the console.
 */
package org.kmodkit.core.verify;
