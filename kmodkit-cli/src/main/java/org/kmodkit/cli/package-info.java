/**
 * The {@code kmodkit} command line: picocli commands that parse, call the core, and render text or
 * JSON. Exit codes are mapped in one place ({@link org.kmodkit.cli.ExitCode}).
 */
package org.kmodkit.cli;
