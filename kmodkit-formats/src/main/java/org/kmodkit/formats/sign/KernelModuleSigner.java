package org.kmodkit.formats.sign;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.ModuleSigner;

/**
 * Signs modules as the kernel's {@code scripts/sign-file} does (CMS_NOCERTS | CMS_BINARY |
 * CMS_DETACHED, one signer without signed attributes, identified by the certificate's issuer and
 * serial): the PKCS#7 blob, then {@code struct module_signature} (id_type 2 = PKEY_ID_PKCS7,
 * sig_len big-endian), then {@code ~Module signature appended~\n}. For RSA keys the bytes equal
 * sign-file's (PKCS#1 v1.5 is deterministic).
 */
public final class KernelModuleSigner implements ModuleSigner {
  private static final byte[] MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
  private static final int PKEY_ID_PKCS7 = 2;
  /** The hashes the kernel's CONFIG_MODULE_SIG_HASH offers (sha1 and sha224 are deprecated there). */
  private static final Map<String, String> DIGESTS = Map.of("sha256", "SHA256", "sha384", "SHA384", "sha512", "SHA512", "sha224", "SHA224", "sha1", "SHA1");

  private final PrivateKey key;
  private final X509Certificate cert;
  private final String hash;
  private final Provider provider;

  private KernelModuleSigner(PrivateKey key, X509Certificate cert, String hash, Provider provider) {
    this.key = key;
    this.cert = cert;
    this.hash = hash;
    this.provider = provider;
  }

  /**
   * A signer from a PEM private key and a certificate (PEM or DER; the kernel's signing_key.pem
   * holds both, so the two paths may be the same file).
   *
   * @param hash sha256 (the kernels' usual CONFIG_MODULE_SIG_HASH), sha384, sha512, …
   */
  public static KernelModuleSigner load(Path keyFile, Path certFile, String hash) throws BadInputException {
    String h = hash.toLowerCase(Locale.ROOT);
    if (!DIGESTS.containsKey(h)) {
      throw new BadInputException("--sign-hash", "'" + hash + "' is not a module signature hash; use sha256, sha384 or sha512 (the kernel's CONFIG_MODULE_SIG_HASH)");
    }
    Provider bc = new BouncyCastleProvider(); // an instance, never registered: no global state
    PrivateKey key = readKey(keyFile, bc);
    X509Certificate cert = readCert(certFile, bc);
    if (!matches(key, cert.getPublicKey())) {
      throw new BadInputException(keyFile.toString(), "does not belong to the certificate " + certFile + " (" + cert.getSubjectX500Principal().getName() + "); pass the key the certificate was made for");
    }
    return new KernelModuleSigner(key, cert, h, bc);
  }

  @Override
  public String signer() {
    X509CertificateHolder holder;
    try {
      holder = new X509CertificateHolder(cert.getEncoded());
    } catch (IOException | java.security.cert.CertificateEncodingException e) {
      return cert.getSubjectX500Principal().getName();
    }
    RDN[] cn = holder.getSubject().getRDNs(BCStyle.CN);
    return cn.length > 0 ? IETFUtils.valueToString(cn[0].getFirst().getValue()) : holder.getSubject().toString();
  }

  /** The certificate serial, as modinfo's sig_key prints it. */
  public String keyId() {
    byte[] serial = cert.getSerialNumber().toByteArray();
    int from = serial.length > 1 && serial[0] == 0 ? 1 : 0;
    return java.util.HexFormat.ofDelimiter(":").withUpperCase().formatHex(serial, from, serial.length);
  }

  public String hash() {
    return hash;
  }

  @Override
  public byte[] sign(String source, byte[] module) throws BadInputException {
    byte[] unsigned = unsigned(module);
    byte[] pkcs7 = pkcs7(source, unsigned);
    ByteBuffer info = ByteBuffer.allocate(12); // struct module_signature, big-endian sig_len
    info.put((byte) 0).put((byte) 0).put((byte) PKEY_ID_PKCS7).put((byte) 0).put((byte) 0).put(new byte[3]).putInt(pkcs7.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream(unsigned.length + pkcs7.length + 40);
    out.writeBytes(unsigned);
    out.writeBytes(pkcs7);
    out.writeBytes(info.array());
    out.writeBytes(MAGIC);
    return out.toByteArray();
  }

  /** The detached PKCS#7 (DER) over {@code content}, as sign-file writes it. */
  byte[] pkcs7(String source, byte[] content) throws BadInputException {
    try {
      String alg = DIGESTS.get(hash) + "with" + (key.getAlgorithm().equals("EC") || key.getAlgorithm().equals("ECDSA") ? "ECDSA" : "RSA");
      ContentSigner signer = new JcaContentSignerBuilder(alg).setProvider(provider).build(key);
      CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
      gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().setProvider(provider).build(), KernelModuleSigner::signatureAlgorithm)
          .setDirectSignature(true) // sign-file passes CMS_NOATTR: the signature covers the module itself
          .build(signer, cert));
      CMSSignedData data = gen.generate(new CMSProcessableByteArray(content), false);
      return data.toASN1Structure().getEncoded("DER");
    } catch (OperatorCreationException | CMSException | CertificateException | IOException e) {
      throw new BadInputException(source, "cannot be signed (" + e.getMessage() + "); check the key and certificate");
    }
  }

  /**
   * OpenSSL's CMS names an RSA signer's algorithm rsaEncryption (with NULL parameters), where
   * BouncyCastle would say sha256WithRSAEncryption; the kernel accepts both, sign-file writes the
   * former, and byte equality with sign-file is the contract.
   */
  static AlgorithmIdentifier signatureAlgorithm(AlgorithmIdentifier signatureAlg) {
    String oid = signatureAlg.getAlgorithm().getId();
    if (oid.startsWith(PKCSObjectIdentifiers.pkcs_1.getId() + ".")) {
      return new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
    }
    return signatureAlg;
  }

  /** {@code module} without an appended signature: a module is signed once, with our key. */
  static byte[] unsigned(byte[] module) {
    int tail = MAGIC.length + 12;
    if (module.length < tail || !Arrays.equals(module, module.length - MAGIC.length, module.length, MAGIC, 0, MAGIC.length)) {
      return module;
    }
    int info = module.length - tail; // struct module_signature
    int signerLen = module[info + 3] & 0xff;
    int keyIdLen = module[info + 4] & 0xff;
    long sigLen = ByteBuffer.wrap(module).getInt(info + 8) & 0xffffffffL;
    long start = module.length - tail - sigLen - signerLen - keyIdLen;
    return start < 0 ? module : Arrays.copyOf(module, (int) start);
  }

  private static boolean matches(PrivateKey key, PublicKey pub) {
    if (key instanceof java.security.interfaces.RSAPrivateCrtKey rsa && pub instanceof java.security.interfaces.RSAPublicKey rpub) {
      return rsa.getModulus().equals(rpub.getModulus()) && rsa.getPublicExponent().equals(rpub.getPublicExponent());
    }
    if (key instanceof java.security.interfaces.RSAPrivateKey rsa && pub instanceof java.security.interfaces.RSAPublicKey rpub) {
      return rsa.getModulus().equals(rpub.getModulus());
    }
    return key.getAlgorithm().equals(pub.getAlgorithm()) || (key.getAlgorithm().startsWith("EC") && pub.getAlgorithm().startsWith("EC"));
  }

  private static PrivateKey readKey(Path file, Provider bc) throws BadInputException {
    String text = readText(file, "key");
    try (PEMParser pem = new PEMParser(reader(text))) {
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter().setProvider(bc);
      for (Object o; (o = pem.readObject()) != null; ) {
        if (o instanceof PEMKeyPair kp) {
          return conv.getPrivateKey(kp.getPrivateKeyInfo());
        }
        if (o instanceof PrivateKeyInfo pk) {
          return conv.getPrivateKey(pk);
        }
        if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw new BadInputException(file.toString(), "holds an encrypted private key; decrypt it for the build (openssl pkey -in KEY -out PLAIN.pem) and keep that file private");
        }
      }
    } catch (IOException e) {
      throw new BadInputException(file.toString(), "is not a PEM private key (" + e.getMessage() + "); pass the PEM key the certificate was made for");
    }
    throw new BadInputException(file.toString(), "holds no private key (no -----BEGIN PRIVATE KEY----- block); pass the PEM signing key");
  }

  private static X509Certificate readCert(Path file, Provider bc) throws BadInputException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new BadInputException(file.toString(), "cannot read the certificate (" + e.getMessage() + "); check the path");
    }
    JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider(bc);
    try {
      if (bytes.length > 0 && bytes[0] == 0x30) { // DER, like the kernel's certs/signing_key.x509
        return conv.getCertificate(new X509CertificateHolder(bytes));
      }
      try (PEMParser pem = new PEMParser(reader(new String(bytes, StandardCharsets.US_ASCII)))) {
        for (Object o; (o = pem.readObject()) != null; ) {
          if (o instanceof X509CertificateHolder h) {
            return conv.getCertificate(h);
          }
        }
      }
    } catch (IOException | CertificateException e) {
      throw new BadInputException(file.toString(), "is not an X.509 certificate (" + e.getMessage() + "); pass the signing certificate (PEM or DER)");
    }
    throw new BadInputException(file.toString(), "holds no certificate (no -----BEGIN CERTIFICATE----- block); pass the signing certificate (PEM or DER)");
  }

  private static String readText(Path file, String what) throws BadInputException {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new BadInputException(file.toString(), "cannot read the " + what + " (" + e.getMessage() + "); check the path and permissions");
    }
  }

  private static Reader reader(String text) {
    return new StringReader(text);
  }
}
