package org.kmodkit.formats;

import org.kmodkit.formats.sign.OpenPgpSigner;

import java.io.IOException;
import java.nio.file.Path;
import org.kmodkit.core.BadInputException;

/** Writes one package file into a directory, atomically (a temporary name, then a rename); returns its path. */
public interface PackageWriter {
  /** SIGNER may be null for an unsigned package. */
  Path write(PackageSpec spec, Path outDir, OpenPgpSigner signer) throws IOException, BadInputException;

  /** The file name the package gets in OUTDIR. */
  String fileName(PackageSpec spec);
}
