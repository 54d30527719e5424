package org.kmodkit.formats;

import org.kmodkit.formats.sign.OpenPgpSigner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
