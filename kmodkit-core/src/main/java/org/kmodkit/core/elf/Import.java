package org.kmodkit.core.elf;

/** A symbol a module needs from the kernel or another module (undefined in its .symtab). */
public record Import(String name, boolean weak) {}
