package org.kmodkit.formats.sign;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Date;
import java.util.HexFormat;
import java.util.Iterator;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.BCPGOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.RSAPublicBCPGKey;
import org.bouncycastle.bcpg.RSASecretBCPGKey;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;
import org.bouncycastle.util.BigIntegers;
import org.bouncycastle.util.Properties;
import org.kmodkit.core.BadInputException;

/**
 * An OpenPGP signing key, loaded from the armored (or binary) secret key gpg exports
 * ({@code gpg --export-secret-keys --armor ID}), and the three signature shapes packages and
 * repositories need: a raw detached signature packet (RPM header signatures), an armored detached
 * signature ({@code Release.gpg}, {@code repomd.xml.asc}) and a clear-signed text ({@code InRelease}).
 * Immutable; every signature is SHA-512, as RHEL and Debian sign today.
 */
public final class OpenPgpSigner {
  /** BouncyCastle's largest RSA modulus by default ({@code org.bouncycastle.rsa.max_size}). */
  private static final int MAX_RSA_BITS = 16384;
  private static final String ALLOW_UNSAFE_MODULUS = "org.bouncycastle.rsa.allow_unsafe_mod";

  private final PGPSecretKey secret;
  private final PGPPrivateKey privateKey;
  private final PGPPublicKey publicKey;
  private final byte[] publicRing;

  private OpenPgpSigner(PGPSecretKey secret, PGPPrivateKey privateKey, byte[] publicRing) {
    this.secret = secret;
    this.privateKey = privateKey;
    this.publicKey = secret.getPublicKey();
    this.publicRing = publicRing;
  }

  /** Loads the first signing-capable secret key of FILE; PASSPHRASE may be empty for an unprotected key. */
  public static OpenPgpSigner load(Path file, char[] passphrase) throws BadInputException {
    if (!Files.isRegularFile(file)) {
      throw new BadInputException(file.toString(), "no such OpenPGP secret key file; export one with `gpg --export-secret-keys --armor KEYID > FILE`");
    }
    try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
      PGPSecretKeyRingCollection rings = new PGPSecretKeyRingCollection(in, new BcKeyFingerprintCalculator());
      for (Iterator<PGPSecretKeyRing> r = rings.getKeyRings(); r.hasNext(); ) {
        PGPSecretKeyRing ring = r.next();
        PGPSecretKey key = signingKey(ring);
        if (key == null) {
          continue;
        }
        PGPPrivateKey priv;
        try {
          priv = key.extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(passphrase));
        } catch (PGPException e) {
          throw new BadInputException(file.toString(), "cannot unlock the secret key " + hexKeyId(key.getKeyID()) + " (" + e.getMessage() + "); set KMODKIT_SIGN_PASSPHRASE to its passphrase");
        }
        checkRsa(file, key, priv);
        ByteArrayOutputStream pub = new ByteArrayOutputStream();
        ring.toCertificate().encode(pub);
        return new OpenPgpSigner(key, priv, pub.toByteArray());
      }
      throw new BadInputException(file.toString(), "holds no OpenPGP secret key that can sign; export one with `gpg --export-secret-keys --armor KEYID`");
    } catch (PGPException | IOException | RuntimeException e) {
      throw new BadInputException(file.toString(), "not an OpenPGP secret key (" + e.getMessage() + "); export one with `gpg --export-secret-keys --armor KEYID > FILE`");
    }
  }

  /**
   * Refuses an RSA key that cannot sign safely, proven from its own numbers: an odd modulus of at
   * most 16,384 bits (BouncyCastle's bound), without a small prime factor, equal to the product of
   * the key's two coprime primes (so composite and no prime power), and a private exponent that
   * inverts the public one (else no verifier accepts its signatures). This is what BouncyCastle's
   * Miller-Rabin test of the modulus would establish at the first signature (see {@link #detached}),
   * and more: BouncyCastle tests p·q, never the public modulus the signatures are checked against.
   */
  private static void checkRsa(Path file, PGPSecretKey key, PGPPrivateKey priv) throws BadInputException {
    if (!(priv.getPrivateKeyDataPacket() instanceof RSASecretBCPGKey s) || !(key.getPublicKey().getPublicKeyPacket().getKey() instanceof RSAPublicBCPGKey pub)) {
      return;
    }
    BigInteger n = pub.getModulus();
    BigInteger p = s.getPrimeP();
    BigInteger q = s.getPrimeQ();
    BigInteger ed = pub.getPublicExponent().multiply(s.getPrivateExponent());
    BigInteger one = BigInteger.ONE;
    String why = null;
    if (!n.testBit(0) || n.bitLength() > MAX_RSA_BITS) {
      why = "its modulus is even or longer than " + MAX_RSA_BITS + " bits";
    } else if (BigIntegers.hasAnySmallFactors(n)) {
      why = "its modulus has a small prime factor";
    } else if (p.compareTo(one) <= 0 || q.compareTo(one) <= 0 || !p.multiply(q).equals(n) || !p.gcd(q).equals(one)) {
      why = "its modulus is not the product of its primes";
    } else if (!ed.mod(p.subtract(one)).equals(one) || !ed.mod(q.subtract(one)).equals(one)) {
      why = "its private exponent does not invert its public exponent";
    }
    if (why != null) {
      throw new BadInputException(file.toString(), "the RSA key " + hexKeyId(key.getKeyID()) + " cannot sign safely: " + why
          + "; make a new signing key (`gpg --quick-gen-key NAME rsa3072 sign`) and export it with `gpg --export-secret-keys --armor KEYID > FILE`");
    }
  }

  /**
   * The key of RING that gpg would sign with: the newest one whose self-signature grants the
   * "sign data" flag and whose secret part is present. Algorithm alone is not enough: an RSA
   * primary that only certifies, or an RSA encryption subkey, can do the maths but verifiers
   * refuse a signature from a key not flagged for signing. Keys without any flags (old v3-style
   * exports) fall back to the first that can sign by algorithm.
   */
  private static PGPSecretKey signingKey(PGPSecretKeyRing ring) {
    PGPSecretKey flagged = null;
    PGPSecretKey byAlgorithm = null;
    boolean anyFlags = false;
    for (Iterator<PGPSecretKey> k = ring.getSecretKeys(); k.hasNext(); ) {
      PGPSecretKey key = k.next();
      PGPPublicKey pub = key.getPublicKey();
      Integer flags = keyFlags(pub);
      anyFlags |= flags != null;
      if (key.isPrivateKeyEmpty() || !key.isSigningKey() || pub.hasRevocation()) {
        continue;
      }
      if (byAlgorithm == null) {
        byAlgorithm = key;
      }
      if (flags != null && (flags & KeyFlags.SIGN_DATA) != 0
          && (flagged == null || !pub.getCreationTime().before(flagged.getPublicKey().getCreationTime()))) {
        flagged = key;
      }
    }
    return anyFlags ? flagged : byAlgorithm;
  }

  /** The key flags of PUB's newest self-signature (user id certification or subkey binding), or null when none says. */
  private static Integer keyFlags(PGPPublicKey pub) {
    Integer flags = null;
    java.util.Date newest = null;
    for (Iterator<PGPSignature> s = pub.getSignatures(); s.hasNext(); ) {
      PGPSignature sig = s.next();
      if (sig.getKeyID() != pub.getKeyID() && sig.getSignatureType() != PGPSignature.SUBKEY_BINDING) {
        continue; // someone else's certification says nothing about how this key may be used
      }
      org.bouncycastle.openpgp.PGPSignatureSubpacketVector hashed = sig.getHashedSubPackets();
      if (hashed == null || !hashed.hasSubpacket(org.bouncycastle.bcpg.SignatureSubpacketTags.KEY_FLAGS)) {
        continue;
      }
      if (newest == null || !sig.getCreationTime().before(newest)) {
        newest = sig.getCreationTime();
        flags = hashed.getKeyFlags();
      }
    }
    return flags;
  }

  /** A fresh unprotected RSA key pair with one user id; for tests and first-time setup. Made in memory: a failure is a kmodkit bug. */
  public static OpenPgpSigner generate(String userId, int rsaBits) {
    try {
      RSAKeyPairGenerator gen = new RSAKeyPairGenerator();
      gen.init(new RSAKeyGenerationParameters(java.math.BigInteger.valueOf(0x10001), new SecureRandom(), rsaBits, 80));
      PGPKeyPair pair = new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.RSA_GENERAL, gen.generateKeyPair(), new Date());
      PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
      hashed.setKeyFlags(false, KeyFlags.SIGN_DATA | KeyFlags.CERTIFY_OTHER);
      hashed.setPreferredHashAlgorithms(false, new int[] {HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA256});
      PGPKeyRingGenerator rings = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, pair, userId,
          new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1), hashed.generate(), null,
          new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.RSA_GENERAL, HashAlgorithmTags.SHA512),
          null);
      PGPSecretKeyRing ring = rings.generateSecretKeyRing();
      PGPSecretKey key = ring.getSecretKey();
      ByteArrayOutputStream pub = new ByteArrayOutputStream();
      ring.toCertificate().encode(pub);
      return new OpenPgpSigner(key, key.extractPrivateKey(null), pub.toByteArray());
    } catch (PGPException | IOException e) {
      throw new IllegalStateException("OpenPGP key generation failed: " + e.getMessage(), e);
    }
  }

  /** The secret key, armored, as {@code gpg --import} takes it (unprotected: keep it private). */
  public String secretKeyArmored() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArmoredOutputStream armor = ArmoredOutputStream.builder().clearHeaders().build(out)) {
      secret.encode(armor);
    }
    return out.toString(StandardCharsets.US_ASCII);
  }

  /** The public key (certificate), armored: what nodes import (rpm --import, gpgkey=, signed-by). */
  public String publicKeyArmored() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArmoredOutputStream armor = ArmoredOutputStream.builder().clearHeaders().build(out)) {
      armor.write(publicRing);
    }
    return out.toString(StandardCharsets.US_ASCII);
  }

  /** The public key, binary (for an APT signed-by keyring file, which apt reads unarmored too). */
  public byte[] publicKeyBinary() {
    return publicRing.clone();
  }

  /** 16 hex digits, upper case, as rpm and gpg print the key id. */
  public String keyId() {
    return hexKeyId(publicKey.getKeyID());
  }

  /** The v4 fingerprint, 40 hex digits upper case. */
  public String fingerprint() {
    return HexFormat.of().withUpperCase().formatHex(publicKey.getFingerprint());
  }

  /** The BouncyCastle private key, for writers that sign through their own processors. */
  public PGPPrivateKey privateKey() {
    return privateKey;
  }

  public PGPPublicKey publicKey() {
    return publicKey;
  }

  /** A binary detached signature packet over DATA (binary document, SHA-512). */
  public byte[] detached(byte[] data) {
    return detached(data, PGPSignature.BINARY_DOCUMENT);
  }

  /** The detached signature ASCII-armored ("-----BEGIN PGP SIGNATURE-----"). */
  public String detachedArmored(byte[] data) throws IOException {
    return armor(detached(data));
  }

  /**
   * DATA clear-signed (RFC 4880 §7), as {@code gpg --clearsign} writes it: the text with
   * dash-escaping, then the armored signature over its canonical form (trailing spaces cut, CRLF
   * line ends, the last line end not signed).
   */
  public String clearsign(String text) throws IOException {
    String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    String[] lines = body.split("\n", -1);
    StringBuilder canonical = new StringBuilder();
    StringBuilder shown = new StringBuilder();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.indexOf('\r') >= 0) {
        throw new IllegalArgumentException("clear-signed text must use \\n line ends");
      }
      canonical.append(stripTrailing(line));
      if (i + 1 < lines.length) {
        canonical.append("\r\n");
      }
      shown.append(line.startsWith("-") ? "- " + line : line).append('\n');
    }
    byte[] sig = detached(canonical.toString().getBytes(StandardCharsets.UTF_8), PGPSignature.CANONICAL_TEXT_DOCUMENT);
    return "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + shown + armor(sig);
  }

  private byte[] detached(byte[] data, int type) {
    try {
      PGPSignatureGenerator gen = new PGPSignatureGenerator(
          new BcPGPContentSignerBuilder(publicKey.getAlgorithm(), HashAlgorithmTags.SHA512), publicKey);
      // BouncyCastle re-validates an RSA modulus whenever it makes key parameters: a Miller-Rabin
      // test, one 2048-bit modPow (~30 ms of a short run, more than the signature). For this key it
      // tests p·q, composite by construction; what it guards against was checked when the key was
      // loaded (checkRsa). So its documented override is set for this conversion of our own key
      // only, on this thread; other keys, and public keys from elsewhere, are still checked.
      boolean override = !Properties.isOverrideSet(ALLOW_UNSAFE_MODULUS);
      if (override) {
        Properties.setThreadOverride(ALLOW_UNSAFE_MODULUS, true);
      }
      try {
        gen.init(type, privateKey);
      } finally {
        if (override) {
          Properties.removeThreadOverride(ALLOW_UNSAFE_MODULUS);
        }
      }
      PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
      hashed.setSignatureCreationTime(false, new Date());
      hashed.setIssuerFingerprint(false, publicKey);
      gen.setHashedSubpackets(hashed.generate());
      PGPSignatureSubpacketGenerator unhashed = new PGPSignatureSubpacketGenerator();
      unhashed.setIssuerKeyID(false, publicKey.getKeyID());
      gen.setUnhashedSubpackets(unhashed.generate());
      gen.update(data);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (BCPGOutputStream bcpg = new BCPGOutputStream(out)) {
        gen.generate().encode(bcpg);
      }
      return out.toByteArray();
    } catch (PGPException | IOException e) {
      throw new IllegalStateException("OpenPGP signing with key " + keyId() + " failed: " + e.getMessage(), e);
    }
  }

  private static String armor(byte[] packet) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream armor = ArmoredOutputStream.builder().clearHeaders().build(out)) {
      armor.write(packet);
    }
    return out.toString(StandardCharsets.US_ASCII);
  }

  private static String stripTrailing(String line) {
    int end = line.length();
    while (end > 0 && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) {
      end--;
    }
    return line.substring(0, end);
  }

  private static String hexKeyId(long id) {
    return String.format("%016X", id);
  }
}
