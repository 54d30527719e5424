package org.kmodkit.formats.sign;

import org.kmodkit.formats.ShipFixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bouncycastle.bcpg.RSAPublicBCPGKey;
import org.bouncycastle.bcpg.RSASecretBCPGKey;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.bouncycastle.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.ShipFixtures.Run;

class OpenPgpSignerTest {
  @TempDir Path tmp;

  private Path importPublic(OpenPgpSigner signer) throws Exception {
    Path home = ShipFixtures.gnupgHome(tmp);
    Path pub = tmp.resolve("pub.asc");
    Files.writeString(pub, signer.publicKeyArmored());
    Run r = ShipFixtures.run(tmp, home, "gpg", "--batch", "--import", pub.toString());
    assertThat(r.code()).as(r.err()).isZero();
    return home;
  }

  @Test
  void aClearSignedTextVerifiesWithGpgAndShowsTheDashEscapedLinesUnchanged() throws Exception {
    OpenPgpSigner signer = ShipFixtures.signer();
    Path home = importPublic(signer);
    String text = "Origin: kk\nLabel: kk   \n- a line starting with a dash\n\nlast\n";
    Path signed = tmp.resolve("InRelease");
    Files.writeString(signed, signer.clearsign(text));
    Run r = ShipFixtures.run(tmp, home, "gpg", "--batch", "--status-fd", "1", "--output", tmp.resolve("out").toString(), "--verify", signed.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("GOODSIG " + signer.keyId()).contains("VALIDSIG " + signer.fingerprint());
    Run d = ShipFixtures.run(tmp, home, "gpg", "--batch", "--decrypt", signed.toString());
    assertThat(d.out()).contains("- a line starting with a dash").contains("Origin: kk");
  }

  @Test
  void binaryAndArmoredDetachedSignaturesVerifyWithGpgAndATamperedFileDoesNot() throws Exception {
    OpenPgpSigner signer = ShipFixtures.signer();
    Path home = importPublic(signer);
    byte[] data = "some bytes\u0000\u00ff to sign".getBytes(StandardCharsets.ISO_8859_1);
    Path file = tmp.resolve("data");
    Files.write(file, data);
    Path sig = tmp.resolve("data.sig");
    Files.write(sig, signer.detached(data));
    Path asc = tmp.resolve("data.asc");
    Files.writeString(asc, signer.detachedArmored(data));
    for (Path s : new Path[] {sig, asc}) {
      Run r = ShipFixtures.run(tmp, home, "gpg", "--batch", "--status-fd", "1", "--verify", s.toString(), file.toString());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).contains("GOODSIG " + signer.keyId());
    }
    Files.write(file, "some other bytes".getBytes(StandardCharsets.US_ASCII));
    Run bad = ShipFixtures.run(tmp, home, "gpg", "--batch", "--status-fd", "1", "--verify", sig.toString(), file.toString());
    assertThat(bad.code()).isNotZero();
    assertThat(bad.out()).contains("BADSIG");
  }

  @Test
  void aKeyThatGpgMadeAndExportedLoadsAndItsSignaturesVerify() throws Exception {
    Path home = ShipFixtures.gnupgHome(tmp);
    Run gen = ShipFixtures.run(tmp, home, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
        "--quick-gen-key", "gpg made <gpg@kmodkit.invalid>", "rsa2048", "sign", "never");
    assertThat(gen.code()).as(gen.err()).isZero();
    Run export = ShipFixtures.run(tmp, home, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--export-secret-keys", "--armor");
    assertThat(export.code()).as(export.err()).isZero();
    Path key = tmp.resolve("secret.asc");
    Files.writeString(key, export.out());

    OpenPgpSigner signer = OpenPgpSigner.load(key, new char[0]);
    Run list = ShipFixtures.run(tmp, home, "gpg", "--batch", "--with-colons", "--fingerprint", "--list-keys");
    assertThat(list.out()).contains(signer.fingerprint());
    Path file = tmp.resolve("data");
    Files.writeString(file, "Release text\n");
    Path sig = tmp.resolve("data.sig");
    Files.write(sig, signer.detached(Files.readAllBytes(file)));
    Run r = ShipFixtures.run(tmp, home, "gpg", "--batch", "--status-fd", "1", "--verify", sig.toString(), file.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("GOODSIG " + signer.keyId());
  }

  @Test
  void aKeyWhosePrimaryOnlyCertifiesSignsWithItsSigningSubkeyNotTheEncryptionOne() throws Exception {
    Path home = ShipFixtures.gnupgHome(tmp);
    String[] gpg = {"gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""};
    Run gen = ShipFixtures.run(tmp, home, concat(gpg, "--quick-gen-key", "subkeys <subkeys@kmodkit.invalid>", "rsa2048", "cert", "never"));
    assertThat(gen.code()).as(gen.err()).isZero();
    String fpr = colons(home, "fpr").get(0);
    assertThat(ShipFixtures.run(tmp, home, concat(gpg, "--quick-add-key", fpr, "rsa2048", "encr", "never")).code()).isZero();
    assertThat(ShipFixtures.run(tmp, home, concat(gpg, "--quick-add-key", fpr, "rsa2048", "sign", "never")).code()).isZero();
    String signingSubkey = null;
    for (String line : ShipFixtures.run(tmp, home, "gpg", "--batch", "--with-colons", "--list-keys").out().split("\n")) {
      String[] f = line.split(":");
      if (f[0].equals("sub") && f[11].contains("s")) {
        signingSubkey = f[4];
      }
    }
    assertThat(signingSubkey).isNotNull();
    Path key = tmp.resolve("subkeys.asc");
    Files.writeString(key, ShipFixtures.run(tmp, home, concat(gpg, "--export-secret-keys", "--armor")).out());

    OpenPgpSigner signer = OpenPgpSigner.load(key, new char[0]);
    assertThat(signer.keyId()).isEqualTo(signingSubkey);
    Path file = tmp.resolve("data");
    Files.writeString(file, "Release text\n");
    Path sig = tmp.resolve("data.sig");
    Files.write(sig, signer.detached(Files.readAllBytes(file)));
    Run r = ShipFixtures.run(tmp, home, "gpg", "--batch", "--status-fd", "1", "--verify", sig.toString(), file.toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("GOODSIG " + signingSubkey);
  }

  private List<String> colons(Path home, String record) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    for (String line : ShipFixtures.run(tmp, home, "gpg", "--batch", "--with-colons", "--fingerprint", "--list-keys").out().split("\n")) {
      String[] f = line.split(":");
      if (f[0].equals(record)) {
        out.add(f[9]);
      }
    }
    return out;
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Test
  void anRsaKeyWhoseNumbersDoNotHangTogetherIsRefusedWhenLoadedNamingTheFileAndTheFix() throws Exception {
    RSASecretBCPGKey good = (RSASecretBCPGKey) ShipFixtures.signer().privateKey().getPrivateKeyDataPacket();
    RSASecretBCPGKey other = (RSASecretBCPGKey) ShipFixtures.otherSigner().privateKey().getPrivateKeyDataPacket();
    BigInteger e = ((RSAPublicBCPGKey) ShipFixtures.signer().publicKey().getPublicKeyPacket().getKey()).getPublicExponent();
    BigInteger n = good.getModulus();
    BigInteger p = good.getPrimeP();
    BigInteger q = good.getPrimeQ();
    BigInteger d = good.getPrivateExponent();

    // the same numbers through the same fixture load and sign: what follows is refused for its numbers
    OpenPgpSigner sound = OpenPgpSigner.load(ShipFixtures.rsaSecretKey(tmp.resolve("sound.asc"), n, e, d, p, q), new char[0]);
    byte[] data = "repomd\n".getBytes(StandardCharsets.US_ASCII);
    PGPSignature sig = ((PGPSignatureList) new BcPGPObjectFactory(sound.detached(data)).nextObject()).get(0);
    sig.init(new BcPGPContentVerifierBuilderProvider(), sound.publicKey());
    sig.update(data);
    assertThat(sig.verify()).isTrue();

    Path smallFactor = ShipFixtures.rsaSecretKeyWithSmallFactor(tmp.resolve("small-factor.asc"), 743);
    Path notItsPrimes = ShipFixtures.rsaSecretKey(tmp.resolve("not-its-primes.asc"), n, e, other.getPrivateExponent(), other.getPrimeP(), other.getPrimeQ());
    Path primeModulus = ShipFixtures.rsaSecretKey(tmp.resolve("prime-modulus.asc"), q, e, d, p, q.nextProbablePrime());
    Path wrongExponent = ShipFixtures.rsaSecretKey(tmp.resolve("wrong-exponent.asc"), n, e, d.add(BigInteger.TWO), p, q);
    for (Path bad : List.of(smallFactor, notItsPrimes, primeModulus, wrongExponent)) {
      assertThatThrownBy(() -> OpenPgpSigner.load(bad, new char[0])).as(bad.getFileName().toString()).isInstanceOf(BadInputException.class)
          .hasMessageStartingWith(bad + ": the RSA key ").hasMessageContaining("cannot sign safely")
          .hasMessageContaining("gpg --quick-gen-key").hasMessageNotContaining("\n");
    }
    assertThatThrownBy(() -> OpenPgpSigner.load(smallFactor, new char[0])).hasMessageContaining("small prime factor");
    assertThatThrownBy(() -> OpenPgpSigner.load(notItsPrimes, new char[0])).hasMessageContaining("not the product of its primes");
  }

  @Test
  void signingLeavesBouncyCastlesModulusCheckOnForEveryOtherKey() throws Exception {
    OpenPgpSigner signer = ShipFixtures.signer();
    signer.detached(new byte[] {1, 2, 3});
    assertThat(Properties.isOverrideSet("org.bouncycastle.rsa.allow_unsafe_mod")).isFalse();
    // a public key as a hostile peer could hand over: a prime "modulus" is still refused by BouncyCastle
    BigInteger prime = ((RSASecretBCPGKey) signer.privateKey().getPrivateKeyDataPacket()).getPrimeP().multiply(BigInteger.TWO).add(BigInteger.ONE).nextProbablePrime();
    assertThatThrownBy(() -> new RSAKeyParameters(false, prime, BigInteger.valueOf(65537))).hasMessageContaining("not composite");
  }

  @Test
  void aFileThatIsNoKeyIsBadInputNamingTheFileAndHowToExportOne() throws Exception {
    Path junk = tmp.resolve("junk.asc");
    Files.writeString(junk, "this is not a key\n");
    assertThatThrownBy(() -> OpenPgpSigner.load(junk, new char[0])).isInstanceOf(BadInputException.class)
        .hasMessageContaining(junk.toString()).hasMessageContaining("gpg --export-secret-keys");
    Path missing = tmp.resolve("missing.asc");
    assertThatThrownBy(() -> OpenPgpSigner.load(missing, new char[0])).isInstanceOf(BadInputException.class)
        .hasMessageContaining("no such OpenPGP secret key file");
  }

  @Test
  void aProtectedKeyWithTheWrongPassphraseSaysHowToGiveTheRightOne() throws Exception {
    Path home = ShipFixtures.gnupgHome(tmp);
    Run gen = ShipFixtures.run(tmp, home, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "secret",
        "--quick-gen-key", "locked <locked@kmodkit.invalid>", "rsa2048", "sign", "never");
    assertThat(gen.code()).as(gen.err()).isZero();
    Run export = ShipFixtures.run(tmp, home, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "secret", "--export-secret-keys", "--armor");
    Path key = tmp.resolve("locked.asc");
    Files.writeString(key, export.out());
    assertThatThrownBy(() -> OpenPgpSigner.load(key, "wrong".toCharArray())).isInstanceOf(BadInputException.class)
        .hasMessageContaining("KMODKIT_SIGN_PASSPHRASE");
    assertThat(OpenPgpSigner.load(key, "secret".toCharArray()).keyId()).hasSize(16);
  }
}
