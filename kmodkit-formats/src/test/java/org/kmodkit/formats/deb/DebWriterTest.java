package org.kmodkit.formats.deb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kmodkit.testkit.ByteSearch.indexOf;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.formats.ShipFixtures;

class DebWriterTest {
  @TempDir Path tmp;

  @Test
  void aPackageWrittenFromASpecReadsBackWithTheControlFieldsAndFilesTheSpecSaid() throws Exception {
    PackageSpec spec = ShipFixtures.spec(tmp, "hello-kmod", "1.2");
    Path deb = new DebWriter().write(spec, tmp, null);
    assertThat(deb.getFileName().toString()).isEqualTo("hello-kmod_1.2-1_amd64.deb");

    DebControl c = DebArchive.control(deb);
    assertThat(c.name()).isEqualTo("hello-kmod");
    assertThat(c.get("Version")).isEqualTo("1.2-1");
    assertThat(c.get("Architecture")).isEqualTo("amd64");
    assertThat(c.get("Maintainer")).isEqualTo("Example Corp <drivers@example.com>");
    assertThat(c.get("Section")).isEqualTo("kernel");
    // kernel(sym) and kmod(x.ko) are RPM capabilities with no Debian spelling
    assertThat(c.get("Depends")).isEqualTo("linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2), kmod");
    assertThat(c.get("Provides")).isEqualTo("hello-modules");
    assertThat(c.get("Conflicts")).isEqualTo("hello-dkms (<< 2.0)");
    assertThat(c.get("Description")).startsWith("hello driver rebuilt for 6.1.0-56\n ").contains("\n .\n Second paragraph.");
    for (String line : c.text().split("\n")) {
      assertThat(line.length()).as(line).isLessThanOrEqualTo(80);
    }

    List<DebArchive.Entry> entries = DebArchive.contents(deb);
    assertThat(entries).extracting(DebArchive.Entry::path).containsExactly("/", "/etc", "/etc/modprobe.d", "/lib", "/lib/modules",
        "/lib/modules/6.1.0-56-cloud-amd64", "/lib/modules/6.1.0-56-cloud-amd64/updates", "/lib/modules/6.1.0-56-cloud-amd64/updates/dkms",
        "/etc/modprobe.d/hello.conf", "/lib/modules/6.1.0-56-cloud-amd64/updates/dkms/hello.ko");
    DebArchive.Entry ko = entries.get(entries.size() - 1);
    assertThat(ko.mode()).isEqualTo(0644);
    assertThat(ko.size()).isEqualTo(Files.size(tmp.resolve("hello-kmod-hello.ko")));
    assertThat(entries.get(1).directory()).isTrue();
  }

  @Test
  void theSameSpecGivesTheSameBytes() throws Exception {
    PackageSpec spec = ShipFixtures.spec(tmp, "hello-kmod", "1.2");
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Files.createDirectories(a);
    Files.createDirectories(b);
    assertThat(Files.readAllBytes(new DebWriter().write(spec, a, null))).isEqualTo(Files.readAllBytes(new DebWriter().write(spec, b, null)));
    assertThat(Files.list(a).map(p -> p.getFileName().toString())).containsExactly("hello-kmod_1.2-1_amd64.deb");
  }

  @Test
  void aSignedPackageVerifiesWithItsKeyAndIsRefusedByAnotherOrWhenTampered() throws Exception {
    PackageSpec spec = ShipFixtures.spec(tmp, "hello-kmod", "1.2");
    Path deb = new DebWriter().write(spec, tmp, ShipFixtures.signer());
    DebSignature.Signer who = DebSignature.verify(deb, List.of(ShipFixtures.signer().publicKey()));
    assertThat(who.keyId()).isEqualTo(ShipFixtures.signer().keyId());

    assertThatThrownBy(() -> DebSignature.verify(deb, List.of(ShipFixtures.otherSigner().publicKey())))
        .isInstanceOf(BadInputException.class).hasMessageContaining(deb.toString())
        .hasMessageContaining(ShipFixtures.signer().keyId()).hasMessageContaining(ShipFixtures.otherSigner().keyId()).hasMessageContaining("not trusted");

    byte[] bytes = Files.readAllBytes(deb);
    byte[] dataMember = "data.tar.xz".getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(bytes, dataMember) + 60 + 100; // inside the data member's xz stream
    bytes[at] ^= 0x01;
    Path tampered = tmp.resolve("tampered.deb");
    Files.write(tampered, bytes);
    assertThatThrownBy(() -> DebSignature.verify(tampered, List.of(ShipFixtures.signer().publicKey())))
        .isInstanceOf(BadInputException.class).hasMessageContaining("signature does not match");

    Path unsigned = tmp.resolve("u");
    Files.createDirectories(unsigned);
    Path plain = new DebWriter().write(spec, unsigned, null);
    assertThatThrownBy(() -> DebSignature.verify(plain, List.of(ShipFixtures.signer().publicKey())))
        .isInstanceOf(BadInputException.class).hasMessageContaining(plain.toString()).hasMessageContaining("is not signed");
  }

  @Test
  void aTruncatedOrForeignFileIsBadInputNamingIt() throws Exception {
    Path deb = new DebWriter().write(ShipFixtures.spec(tmp, "hello-kmod", "1.2"), tmp, null);
    byte[] bytes = Files.readAllBytes(deb);
    for (int cut : new int[] {8 + 30, 8 + 60 + 4 + 60 + 50, bytes.length - 7}) {
      Path t = tmp.resolve("cut-" + cut + ".deb");
      Files.write(t, Arrays.copyOf(bytes, cut));
      assertThatThrownBy(() -> {
        DebArchive.control(t);
        DebArchive.contents(t);
      }).as("cut at " + cut).isInstanceOf(BadInputException.class).hasMessageContaining(t.toString());
    }
    Path text = tmp.resolve("text.deb");
    Files.writeString(text, "hello");
    assertThatThrownBy(() -> DebArchive.control(text)).isInstanceOf(BadInputException.class).hasMessageContaining("is not a .deb");
    byte[] badSize = bytes.clone();
    System.arraycopy("xx".getBytes(StandardCharsets.US_ASCII), 0, badSize, 8 + 48, 2);
    Path bs = tmp.resolve("badsize.deb");
    Files.write(bs, badSize);
    assertThatThrownBy(() -> DebArchive.control(bs)).isInstanceOf(BadInputException.class).hasMessageContaining("has size");
  }

  @Test
  void dataEntriesThatAreAbsoluteOrClimbOutAreRefusedNamingTheEntry() throws Exception {
    for (String evil : new String[] {"/etc/passwd", "./../../etc/cron.d/x", "./lib/../../x"}) {
      Path deb = tmp.resolve("evil.deb");
      ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes)) {
        TarArchiveEntry e = new TarArchiveEntry(evil, true);
        e.setSize(1);
        tar.putArchiveEntry(e);
        tar.write('x');
        tar.closeArchiveEntry();
      }
      try (OutputStream out = Files.newOutputStream(deb)) {
        out.write("!<arch>\n".getBytes(StandardCharsets.US_ASCII));
        arMember(out, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
        arMember(out, "data.tar", tarBytes.toByteArray());
      }
      assertThatThrownBy(() -> DebArchive.contents(deb)).isInstanceOf(BadInputException.class)
          .hasMessageContaining(deb.toString()).hasMessageContaining("'" + evil + "'");
    }
  }

  @Test
  void aRelationNamedWithBarsIsDebianAlternativesAndAnEmptyPackageStillHasARoot() throws Exception {
    PackageSpec spec = new PackageSpec("hello-kernel-only", "1.2", "1", "x86_64", "just the modules", "", null, null, null, 0L, List.of(),
        List.of(Relation.any("hello-modules-6.1.0-53-cloud-amd64|hello-modules-6.1.0-56-cloud-amd64"), Relation.any("kmod(x.ko)|kmod")),
        List.of(Relation.any("a|b")), List.of(), null);
    Path deb = new DebWriter().write(spec, tmp, null);
    assertThat(deb.getFileName().toString()).isEqualTo("hello-kernel-only_1.2-1_amd64.deb");
    DebControl c = DebArchive.control(deb);
    assertThat(c.get("Depends")).isEqualTo("hello-modules-6.1.0-53-cloud-amd64 | hello-modules-6.1.0-56-cloud-amd64");
    assertThat(c.get("Provides")).isNull();
    assertThat(c.get("Maintainer")).isEqualTo("kmodkit");
    assertThat(c.get("Description")).isEqualTo("just the modules");
    assertThat(DebArchive.contents(deb)).extracting(DebArchive.Entry::path).containsExactly("/");
  }

  @Test
  void aDirectoryThePackageOwnsIsWrittenEvenWhenEmptyAndTheSectionIsTheWritersOwn() throws Exception {
    Path doc = Files.writeString(tmp.resolve("copyright"), "c\n");
    PackageSpec spec = new PackageSpec("kmodkit", "1.0", "1", "x86_64", "tool", "", null, null, null, 0L,
        List.of(PayloadFile.directory("/usr/lib/kmodkit/cache", 0755), new PayloadFile("/usr/share/doc/kmodkit/copyright", 0644, doc)),
        List.of(), List.of(), List.of(), null);
    Path deb = new DebWriter("admin").write(spec, tmp, null);
    assertThat(DebArchive.control(deb).get("Section")).isEqualTo("admin");
    assertThat(DebArchive.contents(deb)).extracting(DebArchive.Entry::path).containsExactly("/", "/usr", "/usr/lib", "/usr/lib/kmodkit",
        "/usr/lib/kmodkit/cache", "/usr/share", "/usr/share/doc", "/usr/share/doc/kmodkit", "/usr/share/doc/kmodkit/copyright");
    assertThatThrownBy(() -> new DebWriter("Admin Tools")).hasMessageContaining("Debian section 'Admin Tools'");
  }

  @Test
  void everyFileUnderEtcIsAConffileAsDpkgDebReadsItAndNothingElseIs() throws Exception {
    Path deb = new DebWriter().write(ShipFixtures.spec(tmp, "hello-kmod", "1.2"), tmp, null);
    // dpkg keeps a conffile the admin changed, and lintian refuses a file in /etc that is not one (Policy 10.7.2)
    ShipFixtures.Run r = ShipFixtures.run(tmp, null, "dpkg-deb", "--info", deb.toString(), "conffiles");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("/etc/modprobe.d/hello.conf\n");
  }

  @Test
  void theLongDescriptionIsFoldedAsDebianPolicySays() {
    String folded = DebWriter.extendedDescription("word ".repeat(40) + "\n\n  verbatim   line\n.");
    assertThat(folded.split("\n")).allSatisfy(l -> assertThat(l).startsWith(" ").hasSizeLessThanOrEqualTo(79));
    assertThat(folded).contains("\n .\n").contains("\n   verbatim   line\n").endsWith(" ..\n");
  }

  private static void arMember(OutputStream out, String name, byte[] data) throws Exception {
    String h = String.format("%-16s%-12s%-6s%-6s%-8s%-10s`\n", name, "0", "0", "0", "100644", data.length);
    out.write(h.getBytes(StandardCharsets.US_ASCII));
    out.write(data);
    if (data.length % 2 == 1) {
      out.write('\n');
    }
  }
}
