package org.kmodkit.formats;

import org.kmodkit.formats.sign.OpenPgpSigner;

import java.nio.file.Path;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;

/** Writes one package file into a directory, atomically (a temporary name, then a rename); returns its path. */
public interface PackageWriter {
  /** SIGNER may be null for an unsigned package; an unreadable input is bad input, an unwritable OUTDIR the environment. */
  Path write(PackageSpec spec, Path outDir, OpenPgpSigner signer) throws BadInputException, EnvironmentException;

  /** The file name the package gets in OUTDIR. */
  String fileName(PackageSpec spec);
}
