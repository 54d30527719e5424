package org.kmodkit.formats.deb;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.kmodkit.core.BadInputException;

/**
 * Checks the debsigs-style {@code _gpgorigin} member of a .deb: a detached OpenPGP signature over
 * debian-binary, control.tar.* and data.tar.* concatenated, as {@code debsig-verify} reads it.
 * The file is read twice (signature first, then the signed members streamed) because
 * {@code _gpgorigin} comes last and packages may be large.
 */
public final class DebSignature {
  /** Who signed a package that verified. */
  public record Signer(String keyId, String fingerprint) {}

  private DebSignature() {}

  /**
   * Verifies DEB against TRUSTED keys (primary keys or subkeys); returns the signing key.
   * Refuses with a BadInputException naming the file when it is not signed, signed by a key not in
   * TRUSTED (naming the key ids), or when the signature does not match the contents.
   */
  public static Signer verify(Path deb, List<PGPPublicKey> trusted) throws IOException, BadInputException {
    String source = deb.toString();
    byte[][] sigBytes = new byte[1][];
    List<String> members = new ArrayList<>();
    DebArchive.scan(deb, (name, size, data) -> {
      members.add(name);
      if (name.equals("_gpgorigin")) {
        if (size > 1 << 20) {
          throw new BadInputException(source, "_gpgorigin is " + size + " bytes, too large for a signature; rebuild the package");
        }
        sigBytes[0] = data.readAllBytes();
      }
      return true;
    });
    if (sigBytes[0] == null) {
      throw new BadInputException(source, "is not signed (no _gpgorigin member); sign it (kmodkit package --sign-key) or leave --verify off");
    }
    List<PGPSignature> sigs = signatures(source, sigBytes[0]);
    List<String> signerIds = new ArrayList<>();
    for (PGPSignature sig : sigs) {
      signerIds.add(hex(sig.getKeyID()));
      PGPPublicKey key = find(trusted, sig.getKeyID());
      if (key == null) {
        continue;
      }
      try {
        sig.init(new BcPGPContentVerifierBuilderProvider(), key);
      } catch (PGPException e) {
        throw new BadInputException(source, "_gpgorigin cannot be checked with key " + hex(key.getKeyID()) + " (" + e.getMessage() + ")", e);
      }
      DebArchive.scan(deb, (name, size, data) -> {
        if (name.equals("debian-binary") || name.startsWith("control.tar") || name.startsWith("data.tar")) {
          byte[] buf = new byte[1 << 16];
          for (int n; (n = data.read(buf)) > 0; ) {
            sig.update(buf, 0, n);
          }
        }
        return true;
      });
      boolean ok;
      try {
        ok = sig.verify();
      } catch (PGPException e) {
        ok = false;
      }
      if (!ok) {
        throw new BadInputException(source, "signature does not match the package contents (key " + hex(key.getKeyID())
            + "): the file changed after it was signed; rebuild or re-download it");
      }
      return new Signer(hex(key.getKeyID()), java.util.HexFormat.of().withUpperCase().formatHex(key.getFingerprint()));
    }
    List<String> trustedIds = new ArrayList<>();
    for (PGPPublicKey k : trusted) {
      trustedIds.add(hex(k.getKeyID()));
    }
    throw new BadInputException(source, "is signed by key " + String.join(", ", signerIds) + ", which is not trusted (trusted: "
        + (trustedIds.isEmpty() ? "none" : String.join(", ", trustedIds)) + "); add that public key with --trusted-key or re-sign the package");
  }


  private static List<PGPSignature> signatures(String source, byte[] packet) throws BadInputException {
    try {
      Object o = new BcPGPObjectFactory(PGPUtil.getDecoderStream(new ByteArrayInputStream(packet))).nextObject();
      List<PGPSignature> out = new ArrayList<>();
      if (o instanceof PGPSignatureList list) {
        for (PGPSignature s : list) {
          out.add(s);
        }
      }
      if (out.isEmpty()) {
        throw new BadInputException(source, "_gpgorigin holds no OpenPGP signature; re-sign the package");
      }
      return out;
    } catch (IOException | RuntimeException e) {
      throw new BadInputException(source, "_gpgorigin is not an OpenPGP signature (" + e.getMessage() + "); re-sign the package", e);
    }
  }

  private static PGPPublicKey find(List<PGPPublicKey> trusted, long keyId) {
    for (PGPPublicKey k : trusted) {
      if (k.getKeyID() == keyId) {
        return k;
      }
    }
    return null;
  }

  private static String hex(long id) {
    return String.format("%016X", id);
  }
}
