package org.kmodkit.packaging.ship;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.packaging.ship.ShipFixtures.Run;

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
