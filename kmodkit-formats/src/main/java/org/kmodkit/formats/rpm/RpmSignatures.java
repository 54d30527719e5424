package org.kmodkit.formats.rpm;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.kmodkit.core.BadInputException;

/**
 * Checks an RPM's OpenPGP signature the way {@code rpmkeys -K} does, with BouncyCastle instead of an
 * rpm database: the header signature against a set of trusted public keys, then the payload against
 * the header's SHA-256 payload digest (the signature covers the payload only through that digest).
 */
public final class RpmSignatures {
  private final List<PGPPublicKey> trusted;

  public RpmSignatures(List<PGPPublicKey> trusted) {
    this.trusted = List.copyOf(trusted);
  }


  /** Throws unless RPM carries a good signature by a trusted key and its payload matches the signed digest. */
  public void verify(RpmHeaders rpm) throws BadInputException {
    String file = rpm.source();
    String fix = "sign it with `kmodkit package ... --sign-key KEY` or `rpmsign --addsign " + file + "`";
    Optional<byte[]> headerSig = rpm.headerSignature();
    boolean headerOnly = headerSig.isPresent();
    byte[] packet = headerSig.or(rpm::headerAndPayloadSignature).orElseThrow(() -> new BadInputException(file, "is not signed; " + fix));
    PGPSignature sig = parse(file, packet);
    long keyId = keyId(sig);
    PGPPublicKey key = trusted.stream().filter(k -> k.getKeyID() == keyId).findFirst().orElse(null);
    if (key == null) {
      String names = trusted.stream().map(k -> hex(k.getKeyID())).distinct().collect(Collectors.joining(", "));
      throw new BadInputException(file, "is signed by key " + hex(keyId) + ", not trusted (trusted: " + (names.isEmpty() ? "none" : names) + "); " + fix + ", or trust that key");
    }
    boolean good;
    try {
      sig.init(new BcPGPContentVerifierBuilderProvider(), key);
      if (headerOnly) {
        sig.update(rpm.headerBytes());
      } else {
        byte[] all = rpm.fileBytes();
        sig.update(all, (int) rpm.headerStart(), all.length - (int) rpm.headerStart());
      }
      good = sig.verify();
    } catch (PGPException | RuntimeException e) {
      good = false;
    }
    if (!good) {
      throw new BadInputException(file, "signature does not match (key " + hex(keyId) + "): the package was changed after signing or is corrupt; rebuild it, then " + fix);
    }
    Optional<String> payloadDigest = rpm.payloadSha256();
    if (headerOnly && payloadDigest.isEmpty()) {
      throw new BadInputException(file, "has a header signature but no payload digest, so its payload is not covered; rebuild it with rpm >= 4.14 or kmodkit, then " + fix);
    }
    if (payloadDigest.isPresent()) {
      MessageDigest md = sha256();
      md.update(rpm.payload());
      if (!HexFormat.of().formatHex(md.digest()).equalsIgnoreCase(payloadDigest.get())) {
        throw new BadInputException(file, "payload does not match its signed SHA-256 digest: the package was changed after signing or is truncated; rebuild it, then " + fix);
      }
    }
  }

  private static PGPSignature parse(String file, byte[] packet) throws BadInputException {
    try {
      Object o = new BcPGPObjectFactory(packet).nextObject();
      if (o instanceof PGPSignatureList list && !list.isEmpty()) {
        return list.get(0);
      }
    } catch (IOException | RuntimeException e) {
      // reported below with the same advice
    }
    throw new BadInputException(file, "carries a signature that is not an OpenPGP signature packet; re-sign it with `rpmsign --addsign " + file + "`");
  }

  /** The issuer key id, from the issuer subpacket or else the last 8 bytes of the issuer fingerprint. */
  private static long keyId(PGPSignature sig) {
    if (sig.getKeyID() != 0) {
      return sig.getKeyID();
    }
    if (sig.getHashedSubPackets() != null && sig.getHashedSubPackets().getIssuerFingerprint() != null) {
      byte[] fp = sig.getHashedSubPackets().getIssuerFingerprint().getFingerprint();
      long id = 0;
      for (int i = fp.length - 8; i < fp.length; i++) {
        id = (id << 8) | (fp[i] & 0xff);
      }
      return id;
    }
    return 0;
  }

  private static String hex(long id) {
    return String.format("%016X", id);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
