/**
 * Package formats, one reader beside one writer each ({@code deb}, {@code rpm}): format-neutral package
 * specs, the range-checked package reader, and the confined unpacker every archive goes through.
 */
package org.kmodkit.formats;
