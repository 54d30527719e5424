package org.kmodkit.formats;

import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.RSAPublicBCPGKey;
import org.bouncycastle.bcpg.RSASecretBCPGKey;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.kmodkit.formats.sign.OpenPgpSigner;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Specs, keys and a gpg runner for the ship tests; keys are made once per JVM (RSA generation is slow). */
public final class ShipFixtures {
  private static OpenPgpSigner signer;
  private static OpenPgpSigner other;

  private ShipFixtures() {}

  public static synchronized OpenPgpSigner signer() throws IOException {
    if (signer == null) {
      signer = OpenPgpSigner.generate("kmodkit test <test@kmodkit.invalid>", 2048);
    }
    return signer;
  }

  public static synchronized OpenPgpSigner otherSigner() throws IOException {
    if (other == null) {
      other = OpenPgpSigner.generate("someone else <else@kmodkit.invalid>", 2048);
    }
    return other;
  }

  /**
   * Writes FILE, an armored unprotected OpenPGP secret key (no user id) holding exactly these RSA
   * numbers, unchecked: the public modulus N and exponent E, the private exponent D and primes P, Q.
   */
  public static Path rsaSecretKey(Path file, BigInteger n, BigInteger e, BigInteger d, BigInteger p, BigInteger q) throws Exception {
    PublicKeyPacket packet = new PublicKeyPacket(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.RSA_GENERAL, new Date(1_700_000_000_000L), new RSAPublicBCPGKey(n, e));
    PGPPublicKey pub = new PGPPublicKey(packet, new BcKeyFingerprintCalculator());
    PGPSecretKey secret = new PGPSecretKey(new PGPPrivateKey(pub.getKeyID(), packet, new RSASecretBCPGKey(d, p, q)), pub,
        new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1), true, null);
    try (OutputStream out = Files.newOutputStream(file); ArmoredOutputStream armor = ArmoredOutputStream.builder().clearHeaders().build(out)) {
      secret.encode(armor);
    }
    return file;
  }

  /**
   * Writes FILE, an RSA secret key whose numbers hang together (n = p·q, d inverts e) but whose
   * modulus has the factor SMALL: one of signer()'s primes times SMALL, a prime below 745.
   */
  public static Path rsaSecretKeyWithSmallFactor(Path file, int small) throws Exception {
    BigInteger p = BigInteger.valueOf(small);
    BigInteger q = ((RSASecretBCPGKey) signer().privateKey().getPrivateKeyDataPacket()).getPrimeQ();
    BigInteger e = BigInteger.valueOf(65537);
    BigInteger pm = p.subtract(BigInteger.ONE);
    BigInteger qm = q.subtract(BigInteger.ONE);
    BigInteger lcm = pm.multiply(qm).divide(pm.gcd(qm));
    return rsaSecretKey(file, p.multiply(q), e, e.modInverse(lcm), p, q);
  }

  /** A driver package with two modules and a script, payload files written under DIR. */
  public static PackageSpec spec(Path dir, String name, String version) throws IOException {
    Path ko = dir.resolve(name + "-hello.ko");
    Files.writeString(ko, "not really an ELF module, but bytes to ship " + name + " " + version, StandardCharsets.UTF_8);
    Path conf = dir.resolve(name + "-hello.conf");
    Files.writeString(conf, "options hello debug=1\n", StandardCharsets.UTF_8);
    return new PackageSpec(name, version, "1", "x86_64", "hello driver rebuilt for 6.1.0-56",
        "The hello driver, rebuilt by kmodkit against the headers of 6.1.0-56-cloud-amd64 so that it loads on that kernel without a reboot into surprises.\n\nSecond paragraph.",
        "GPL-2.0-only", "Example Corp <drivers@example.com>", "https://example.com/hello", 1_700_000_000L,
        List.of(new PayloadFile("/lib/modules/6.1.0-56-cloud-amd64/updates/dkms/hello.ko", 0644, ko),
            new PayloadFile("/etc/modprobe.d/hello.conf", 0644, conf)),
        List.of(Relation.eq("linux-image-6.1.0-56-cloud-amd64", "6.1.192-2"), Relation.eq("kernel(kmalloc_caches)", "0x1234abcd"), Relation.any("kmod")),
        List.of(Relation.any("hello-modules"), Relation.any("kmod(hello.ko)")),
        List.of(new Relation("hello-dkms", Relation.Op.LT, "2.0")),
        new Scriptlets(null, "depmod -a 6.1.0-56-cloud-amd64 || true", null, "depmod -a 6.1.0-56-cloud-amd64 || true"));
  }

  public record Run(int code, String out, String err) {}

  /** Runs a tool; a missing tool fails the test with what to install (no skipping). */
  public static Run run(Path dir, Path gnupgHome, String... cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    if (gnupgHome != null) {
      pb.environment().put("GNUPGHOME", gnupgHome.toString());
    }
    Path out = Files.createTempFile("run", ".out");
    Path err = Files.createTempFile("run", ".err");
    try {
      Process p;
      try {
        p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      } catch (IOException e) {
        throw new AssertionError(cmd[0] + " is needed by this test and could not be run (" + e.getMessage() + "); install it (apt-get install gnupg)", e);
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", cmd) + " did not finish in 120 s");
      }
      return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** A fresh GNUPGHOME (mode 0700) under DIR. */
  public static Path gnupgHome(Path dir) throws IOException {
    Path home = dir.resolve("g");
    Files.createDirectories(home);
    Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    return home;
  }
}
