/**
 * kmodkit's core: reads kernel modules and kernel ABIs from bytes, turns them into values, and
 * judges them the way the kernel's module loader does. No CLI, no JSON, no global paths.
 */
package org.kmodkit.core;
