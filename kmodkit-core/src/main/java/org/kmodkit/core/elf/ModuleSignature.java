package org.kmodkit.core.elf;

/**
 * The signature appended to a module ({@code struct module_signature} + PKCS#7, then the magic
 * {@code ~Module signature appended~}): who signed it, with which key and hash.
 *
 * @param signer the signing certificate's issuer common name, as modinfo's {@code signer}
 * @param keyId the key identifier: the certificate serial number (or subject key id), hex
 * @param hashAlgorithm e.g. {@code sha256}
 * @param idType 2 for PKCS#7 (the only kind the kernel accepts since 4.x)
 * @param signatureBytes length of the PKCS#7 blob
 * @param offset where the signature blob starts (= length of the unsigned module)
 * @param signature the raw signature value (hex)
 */
public record ModuleSignature(String signer, String keyId, String hashAlgorithm, int idType, int signatureBytes, long offset, String signature) {
  public static final String MAGIC = "~Module signature appended~\n";
  public static final int INFO_SIZE = 12;
}
