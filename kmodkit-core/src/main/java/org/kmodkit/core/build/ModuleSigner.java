package org.kmodkit.core.build;

import org.kmodkit.core.BadInputException;

/** Appends a module signature (the kernel's format); implemented where the crypto library lives. */
public interface ModuleSigner {
  /** {@code module} (unsigned ELF bytes) with a signature appended; {@code source} names it. */
  byte[] sign(String source, byte[] module) throws BadInputException;

  /** Who signs, for reports: the certificate's subject. */
  String signer();
}
