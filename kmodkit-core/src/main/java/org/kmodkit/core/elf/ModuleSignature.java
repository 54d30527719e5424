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
 * @param value the raw signature value (see {@link #signature()} for its hex)
 */
public record ModuleSignature(String signer, String keyId, String hashAlgorithm, int idType, int signatureBytes, long offset, byte[] value) {
  public static final String MAGIC = "~Module signature appended~\n";
  public static final int INFO_SIZE = 12;

  public ModuleSignature {
    value = value.clone();
  }

  @Override
  public byte[] value() {
    return value.clone();
  }

  /** The raw signature value in upper-case hex, made when asked: a tree check reads a thousand signatures and shows none. */
  public String signature() {
    return java.util.HexFormat.of().withUpperCase().formatHex(value);
  }
}
