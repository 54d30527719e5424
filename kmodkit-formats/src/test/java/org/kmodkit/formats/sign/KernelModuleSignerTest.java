package org.kmodkit.formats.sign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.elf.ModuleFile;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.core.elf.ModuleSignature;

class KernelModuleSignerTest {
  static final Path DIR = Path.of("src/test/resources/sign");
  static final Path KEY = DIR.resolve("test-signing-key.pem");
  static final Path CERT = DIR.resolve("test-signing-cert.pem");
  static final Path CERT_DER = DIR.resolve("test-signing-cert.der");

  static byte[] module() throws Exception {
    return Files.readAllBytes(DIR.resolve("vpoll.ko"));
  }

  /** Equal bytes, or the first offset where they differ (a 12 KB array dump helps nobody). */
  static void assertSameBytes(byte[] actual, byte[] expected) {
    int n = Math.min(actual.length, expected.length);
    for (int i = 0; i < n; i++) {
      if (actual[i] != expected[i]) {
        throw new AssertionError("bytes differ first at offset " + i + " of " + expected.length + ": 0x" + Integer.toHexString(actual[i] & 0xff) + " where sign-file wrote 0x" + Integer.toHexString(expected[i] & 0xff));
      }
    }
    assertThat(actual.length).as("length").isEqualTo(expected.length);
  }

  @Test
  void aSha256SignatureIsByteForByteWhatTheKernelsSignFileWrites() throws Exception {
    byte[] ours = KernelModuleSigner.load(KEY, CERT, "sha256").sign("vpoll.ko", module());
    assertSameBytes(ours, Files.readAllBytes(DIR.resolve("vpoll.ko.sign-file-sha256")));
  }

  @Test
  void aSha512SignatureWithADerCertificateIsByteForByteWhatSignFileWrites() throws Exception {
    byte[] ours = KernelModuleSigner.load(KEY, CERT_DER, "sha512").sign("vpoll.ko", module());
    assertSameBytes(ours, Files.readAllBytes(DIR.resolve("vpoll.ko.sign-file-sha512")));
  }

  @Test
  void theSignedModuleReadsBackWithTheSignerKeyIdAndHash() throws Exception {
    KernelModuleSigner signer = KernelModuleSigner.load(KEY, CERT, "sha512");
    ModuleFile m = ModuleReader.parse("signed.ko", signer.sign("vpoll.ko", module()));
    ModuleSignature s = m.signature().orElseThrow();
    assertThat(s.signer()).isEqualTo("kmodkit test module signing key").isEqualTo(signer.signer());
    assertThat(s.keyId()).isEqualTo(signer.keyId());
    assertThat(s.hashAlgorithm()).isEqualTo("sha512");
    assertThat(s.offset()).isEqualTo(module().length);
    assertThat(m.name()).isEqualTo("vpoll");
  }

  @Test
  void signingASignedModuleReplacesItsSignatureInsteadOfStackingASecond() throws Exception {
    KernelModuleSigner signer = KernelModuleSigner.load(KEY, CERT, "sha256");
    byte[] alreadySigned = Files.readAllBytes(DIR.resolve("vpoll.ko.sign-file-sha512"));
    assertSameBytes(signer.sign("x", alreadySigned), Files.readAllBytes(DIR.resolve("vpoll.ko.sign-file-sha256")));
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsRefused(@TempDir Path tmp) throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    byte[] der = g.generateKeyPair().getPrivate().getEncoded();
    Path other = tmp.resolve("other.pem");
    Files.writeString(other, "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder().encodeToString(der) + "\n-----END PRIVATE KEY-----\n");
    assertThatThrownBy(() -> KernelModuleSigner.load(other, CERT, "sha256"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("does not belong to the certificate");
  }

  @Test
  void anUnknownHashAndAFileWithoutKeyAreRefusedWithAdvice() {
    assertThatThrownBy(() -> KernelModuleSigner.load(KEY, CERT, "md5")).hasMessageContaining("use sha256, sha384 or sha512");
    assertThatThrownBy(() -> KernelModuleSigner.load(CERT, CERT, "sha256")).hasMessageContaining("holds no private key");
  }
}
