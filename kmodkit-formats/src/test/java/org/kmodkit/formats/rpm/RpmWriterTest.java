package org.kmodkit.formats.rpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kmodkit.testkit.ByteSearch.indexOf;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.formats.ShipFixtures;
import org.kmodkit.formats.rpm.RpmHeaders.Dependency;
import org.kmodkit.formats.rpm.RpmHeaders.FileEntry;

class RpmWriterTest {
  static OpenPgpSigner key;
  static OpenPgpSigner otherKey;

  @TempDir Path tmp;

  @BeforeAll
  static void keys() throws Exception {
    key = ShipFixtures.signer();
    otherKey = ShipFixtures.otherSigner();
  }

  /** A module package as kmodkit package would plan it; SOURCES is where the payload files go. */
  static PackageSpec spec(Path sources, String name, long buildTime) throws Exception {
    Files.createDirectories(sources);
    Path ko = Files.write(sources.resolve(name + ".ko"), ("\177ELF fake module " + name + "\n").getBytes(StandardCharsets.US_ASCII));
    Path conf = Files.writeString(sources.resolve(name + ".conf"), "options " + name + " debug=0\n");
    return new PackageSpec(name, "5.2.1", "3.el9", "x86_64", "Acme " + name + " driver <fast> & small", "The " + name + " driver\nfor kernel 5.14.", "GPL-2.0-only", "Acme", "https://acme.example/drivers",
        buildTime,
        List.of(new PayloadFile("/lib/modules/5.14.0-427.el9.x86_64/extra/" + name + "/" + name + ".ko", 0644, ko), new PayloadFile("/etc/modprobe.d/" + name + ".conf", 0640, conf)),
        List.of(Relation.eq("kernel(netif_rx)", "0x1234abcd"), Relation.eq("kernel(kmalloc_caches)", "0xdeadbeef"), new Relation("kernel-core", Relation.Op.GE, "5.14.0-427.el9")),
        List.of(Relation.eq("kmod(" + name + ".ko)", "5.2.1")),
        List.of(new Relation("kmod-" + name + "-old", Relation.Op.LT, "5")),
        new Scriptlets("echo pre", "depmod -a 5.14.0-427.el9.x86_64 || :", "echo preun", "depmod -a || :"));
  }

  @Test
  void aWrittenPackageReadsBackWithEveryField() throws Exception {
    Path rpm = new RpmWriter().write(spec(tmp.resolve("src"), "acme", 1_700_000_000L), tmp, key);
    assertThat(rpm.getFileName().toString()).isEqualTo("acme-5.2.1-3.el9.x86_64.rpm");
    RpmHeaders h = RpmHeaders.read(rpm);
    assertThat(h.name()).isEqualTo("acme");
    assertThat(h.epoch()).isZero();
    assertThat(h.version()).isEqualTo("5.2.1");
    assertThat(h.release()).isEqualTo("3.el9");
    assertThat(h.arch()).isEqualTo("x86_64");
    assertThat(h.summary()).isEqualTo("Acme acme driver <fast> & small");
    assertThat(h.description()).isEqualTo("The acme driver\nfor kernel 5.14.");
    assertThat(h.license()).isEqualTo("GPL-2.0-only");
    assertThat(h.vendor()).isEqualTo("Acme");
    assertThat(h.url()).isEqualTo("https://acme.example/drivers");
    assertThat(h.packager()).isEmpty();
    assertThat(h.group()).isEqualTo("Unspecified");
    assertThat(h.buildHost()).isEqualTo("kmodkit");
    assertThat(h.buildTime()).isEqualTo(1_700_000_000L);
    assertThat(h.sourceRpm()).isEqualTo("acme-5.2.1-3.el9.src.rpm");
    assertThat(h.fileSize()).isEqualTo(Files.size(rpm));
    assertThat(h.headerStart()).isGreaterThan(96).isEqualTo((h.headerStart() + 7) / 8 * 8);
    assertThat(h.headerEnd()).isGreaterThan(h.headerStart()).isLessThan(Files.size(rpm));
    long payloadBytes = Files.size(tmp.resolve("src/acme.ko")) + Files.size(tmp.resolve("src/acme.conf"));
    assertThat(h.sizeInstalled()).isEqualTo(payloadBytes);
    assertThat(h.sizeArchive()).isGreaterThan(payloadBytes);
    assertThat(h.requires()).extracting(Dependency::toString).containsExactly(
        "kernel(netif_rx) = 0x1234abcd", "kernel(kmalloc_caches) = 0xdeadbeef", "kernel-core >= 5.14.0-427.el9",
        "/bin/sh", "/bin/sh", "/bin/sh", "/bin/sh",
        "rpmlib(CompressedFileNames) <= 3.0.4-1", "rpmlib(FileDigests) <= 4.6.0-1", "rpmlib(PayloadFilesHavePrefix) <= 4.0-1");
    assertThat(h.requires().get(0).flags()).isEqualTo(RpmTag.SENSE_EQUAL);
    assertThat(h.requires().get(4)).satisfies(d -> {
      assertThat(d.flags()).isEqualTo(RpmTag.SENSE_INTERP | RpmTag.SENSE_SCRIPT_POST);
      assertThat(d.pre()).isTrue();
    });
    assertThat(h.requires().get(7).rpmlib()).isTrue();
    assertThat(h.provides()).extracting(Dependency::toString).containsExactly("kmod(acme.ko) = 5.2.1", "acme = 5.2.1-3.el9", "acme(x86-64) = 5.2.1-3.el9");
    assertThat(h.conflicts()).extracting(Dependency::toString).containsExactly("kmod-acme-old < 5");
    assertThat(h.obsoletes()).isEmpty();
    // sorted by path, as rpm looks them up; mode carries S_IFREG
    assertThat(h.files()).containsExactly(
        new FileEntry("/etc/modprobe.d/acme.conf", 0100640, false, false),
        new FileEntry("/lib/modules/5.14.0-427.el9.x86_64/extra/acme/acme.ko", 0100644, false, false));
    assertThat(h.changelog()).isEmpty();
    assertThat(h.headerSignature()).isPresent();
    assertThat(h.payloadSha256()).get().asString().hasSize(64);
    assertThat(h.headerSha256()).get().asString().hasSize(64);
  }

  @Test
  void aDirectoryThePackageOwnsIsListedAsADirectorySoRpmRemovesIt() throws Exception {
    Path doc = Files.writeString(tmp.resolve("copyright"), "c\n");
    PackageSpec spec = new PackageSpec("kmodkit", "1.0", "1", "x86_64", "tool", "", null, null, null, 0L,
        List.of(new PayloadFile("/usr/lib/kmodkit/doc/copyright", 0644, doc), PayloadFile.directory("/usr/lib/kmodkit", 0755), PayloadFile.directory("/usr/lib/kmodkit/doc", 0755)),
        List.of(), List.of(), List.of(), null);
    RpmHeaders h = RpmHeaders.read(new RpmWriter().write(spec, tmp, null));
    assertThat(h.files()).containsExactly(new FileEntry("/usr/lib/kmodkit", 040755, true, false), new FileEntry("/usr/lib/kmodkit/doc", 040755, true, false),
        new FileEntry("/usr/lib/kmodkit/doc/copyright", 0100644, false, false));
    assertThat(h.sizeInstalled()).isEqualTo(2);
  }

  @Test
  void everyFileUnderEtcIsAConfigFileRpmKeepsWhenChangedAndNothingElseIs() throws Exception {
    PackageSpec hello = ShipFixtures.spec(Files.createDirectories(tmp.resolve("etc-src")), "hello-kmod", "1.2");
    List<PayloadFile> files = new java.util.ArrayList<>(hello.files());
    files.add(new PayloadFile("/etc/kernel/postinst.d/hello", 0755, files.get(0).source()));
    PackageSpec spec = new PackageSpec(hello.name(), hello.version(), hello.release(), hello.arch(), hello.summary(), hello.description(), hello.license(),
        hello.vendor(), hello.url(), hello.buildTime(), files, hello.requires(), hello.provides(), hello.conflicts(), hello.scripts());
    Path rpm = new RpmWriter().write(spec, tmp, null);
    // %config(noreplace), as rpmbuild marks /etc files: an edited one is kept (.rpmnew beside it); an
    // executable is no config file (rpmlint: executable-marked-as-config-file)
    ShipFixtures.Run r = ShipFixtures.run(tmp, null, "rpm", "-qp", "--nosignature", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\\n]", rpm.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines()).containsExactlyInAnyOrder("/etc/modprobe.d/hello.conf cn", "/etc/kernel/postinst.d/hello ", "/lib/modules/6.1.0-56-cloud-amd64/updates/dkms/hello.ko ");
  }

  @Test
  void theSameInputsGiveTheSameBytes() throws Exception {
    PackageSpec spec = spec(tmp.resolve("src"), "acme", 1_700_000_000L);
    Path a = new RpmWriter().write(spec, Files.createDirectory(tmp.resolve("a")), null);
    Path b = new RpmWriter().write(spec, Files.createDirectory(tmp.resolve("b")), null);
    assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
    assertThat(RpmHeaders.read(a).headerSignature()).isEmpty();
  }

  @Test
  void writingLeavesOnlyThePackageInTheOutputDirectory() throws Exception {
    Path out = Files.createDirectory(tmp.resolve("out"));
    new RpmWriter().write(spec(tmp.resolve("src"), "acme", 1L), out, key);
    new RpmWriter().write(spec(tmp.resolve("src"), "acme", 2L), out, key);
    try (var files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("acme-5.2.1-3.el9.x86_64.rpm");
    }
    assertThat(RpmHeaders.read(out.resolve("acme-5.2.1-3.el9.x86_64.rpm")).buildTime()).isEqualTo(2L);
  }

  @Test
  void aPackageSignedByATrustedKeyVerifies() throws Exception {
    Path rpm = new RpmWriter().write(spec(tmp.resolve("src"), "acme", 1L), tmp, key);
    new RpmSignatures(List.of(otherKey.publicKey(), key.publicKey())).verify(RpmHeaders.read(rpm));
  }

  @Test
  void anUnsignedPackageIsRefusedAsNotSigned() throws Exception {
    Path rpm = new RpmWriter().write(spec(tmp.resolve("src"), "acme", 1L), tmp, null);
    assertThatThrownBy(() -> new RpmSignatures(List.of(key.publicKey())).verify(RpmHeaders.read(rpm)))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(rpm + ": is not signed; sign it with `kmodkit package ... --sign-key KEY` or `rpmsign --addsign " + rpm + "`");
  }

  @Test
  void aPackageSignedByAnotherKeyIsRefusedNamingBothKeys() throws Exception {
    Path rpm = new RpmWriter().write(spec(tmp.resolve("src"), "acme", 1L), tmp, otherKey);
    assertThatThrownBy(() -> new RpmSignatures(List.of(key.publicKey())).verify(RpmHeaders.read(rpm)))
        .hasMessageStartingWith(rpm + ": is signed by key " + otherKey.keyId() + ", not trusted (trusted: " + key.keyId() + ")");
  }

  @Test
  void aByteChangedInTheSignedHeaderBreaksTheSignature() throws Exception {
    Path rpm = new RpmWriter().write(spec(tmp.resolve("src"), "acme", 1L), tmp, key);
    byte[] bytes = Files.readAllBytes(rpm);
    int at = indexOf(bytes, "The acme driver".getBytes(StandardCharsets.US_ASCII));
    bytes[at] = 't';
    Files.write(rpm, bytes);
    assertThatThrownBy(() -> new RpmSignatures(List.of(key.publicKey())).verify(RpmHeaders.read(rpm)))
        .hasMessageStartingWith(rpm + ": signature does not match (key " + key.keyId() + ")");
  }

  @Test
  void aByteChangedInThePayloadBreaksThePayloadDigest() throws Exception {
    Path rpm = new RpmWriter().write(spec(tmp.resolve("src"), "acme", 1L), tmp, key);
    byte[] bytes = Files.readAllBytes(rpm);
    int at = (int) RpmHeaders.read(rpm).headerEnd() + 30;
    bytes[at] ^= 1;
    Files.write(rpm, bytes);
    assertThatThrownBy(() -> new RpmSignatures(List.of(key.publicKey())).verify(RpmHeaders.read(rpm)))
        .hasMessageStartingWith(rpm + ": payload does not match its signed SHA-256 digest");
  }

  @Test
  void aTruncatedPackageIsRefusedByName() throws Exception {
    Path rpm = new RpmWriter().write(spec(tmp.resolve("src"), "acme", 1L), tmp, key);
    byte[] bytes = Files.readAllBytes(rpm);
    long headerEnd = RpmHeaders.read(rpm).headerEnd();
    for (int cut : new int[] {50, 200, (int) headerEnd - 10, (int) headerEnd + 10, bytes.length - 1}) {
      Path t = Files.write(tmp.resolve("cut-" + cut + ".rpm"), Arrays.copyOf(bytes, cut));
      assertThatThrownBy(() -> RpmHeaders.read(t)).as("cut at %d", cut).isInstanceOf(BadInputException.class)
          .hasMessageStartingWith(t + ": is ").hasMessageContaining("re-download or rebuild it");
    }
  }

  @Test
  void garbageIsRefusedAsNotAnRpm() throws Exception {
    Path f = Files.writeString(tmp.resolve("x.rpm"), "hello ".repeat(40));
    assertThatThrownBy(() -> RpmHeaders.read(f)).hasMessage(f + ": is not an RPM package (no RPM lead); pass a .rpm file");
    byte[] bytes = Files.readAllBytes(new RpmWriter().write(spec(tmp.resolve("src"), "acme", 1L), tmp, null));
    bytes[96 + 11] = 0x7f; // the signature header's entry count, now far beyond the file
    assertThatThrownBy(() -> RpmHeaders.parse("bad.rpm", bytes)).hasMessageStartingWith("bad.rpm: is a ");
  }
}
