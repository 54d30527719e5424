package org.kmodkit.repo.yum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.repo.RepoOptions;
import org.kmodkit.repo.RepoSummary;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.formats.ShipFixtures;
import org.kmodkit.formats.rpm.RpmWriter;

class YumRepositoryTest {
  static OpenPgpSigner key;
  static OpenPgpSigner otherKey;

  @TempDir Path tmp;

  @BeforeAll
  static void keys() throws Exception {
    key = ShipFixtures.signer();
    otherKey = ShipFixtures.otherSigner();
  }

  Path repo(OpenPgpSigner signer) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("repo/el9"));
    Path ko = Files.writeString(tmp.resolve("acme.ko"), "\177ELF fake\n");
    Path tool = Files.writeString(tmp.resolve("acme-tool"), "#!/bin/sh\n");
    new RpmWriter().write(new PackageSpec("kmod-acme", "5.2", "1.el9", "x86_64", "Acme driver", "Acme & co's driver <v5>", null, "Acme", null, 1_700_000_000L,
        List.of(new PayloadFile("/lib/modules/5.14.0-427.el9.x86_64/extra/acme.ko", 0644, ko), new PayloadFile("/usr/sbin/acme-tool", 0755, tool)),
        List.of(Relation.eq("kernel(netif_rx)", "0x1234abcd"), Relation.any("/usr/sbin/acme-tool")), List.of(Relation.eq("kmod(acme.ko)", "5.2")), List.of(),
        new Scriptlets(null, "depmod -a || :", null, null)), dir, signer);
    new RpmWriter().write(new PackageSpec("acme-firmware", "1", "1", "noarch", "Firmware", "Firmware", null, null, null, 1_700_000_100L,
        List.of(new PayloadFile("/lib/firmware/acme.bin", 0644, ko)), List.of(), List.of(), List.of(), null), tmp.resolve("repo"), signer);
    return tmp.resolve("repo");
  }

  static RepoOptions options(OpenPgpSigner signer, boolean verify) {
    return new RepoOptions("acme", signer, verify, List.of(), "https://repo.example/acme/");
  }

  static String gunzip(Path p) throws Exception {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  static Path metadata(Path dir, String type) throws Exception {
    try (var s = Files.list(dir.resolve("repodata"))) {
      return s.filter(p -> p.getFileName().toString().endsWith("-" + type + ".xml.gz")).findFirst().orElseThrow();
    }
  }

  @Test
  void aSignedRepositoryListsEveryPackageWithItsDependenciesAndClientFiles() throws Exception {
    Path dir = repo(key);
    RepoSummary s = new YumRepository().create(dir, options(key, true));
    assertThat(s.packages()).isEqualTo(2);
    String primary = gunzip(metadata(dir, "primary"));
    assertThat(primary).contains("packages=\"2\"", "<location href=\"acme-firmware-1-1.noarch.rpm\"/>", "<location href=\"el9/kmod-acme-5.2-1.el9.x86_64.rpm\"/>",
        "<rpm:entry name=\"kernel(netif_rx)\" flags=\"EQ\" epoch=\"0\" ver=\"0x1234abcd\"/>", "<rpm:entry name=\"kmod(acme.ko)\" flags=\"EQ\" epoch=\"0\" ver=\"5.2\"/>",
        "<rpm:entry name=\"/bin/sh\" pre=\"1\"/>", "<file>/usr/sbin/acme-tool</file>", "<description>Acme &amp; co's driver &lt;v5&gt;</description>")
        // rpmlib() and the package's own primary files are no requirement of interest to a resolver (createrepo_c drops them)
        .doesNotContain("rpmlib(", "name=\"/usr/sbin/acme-tool\"", "<file>/lib/modules");
    assertThat(gunzip(metadata(dir, "filelists"))).contains("<file>/lib/modules/5.14.0-427.el9.x86_64/extra/acme.ko</file>", "<file>/usr/sbin/acme-tool</file>");
    assertThat(gunzip(metadata(dir, "other"))).contains("name=\"kmod-acme\"");
    String repomd = Files.readString(dir.resolve("repodata/repomd.xml"));
    assertThat(repomd).contains("<location href=\"repodata/" + metadata(dir, "primary").getFileName() + "\"/>", "<open-checksum type=\"sha256\">", "<open-size>");
    assertThat(Files.readString(dir.resolve("repodata/repomd.xml.asc"))).startsWith("-----BEGIN PGP SIGNATURE-----");
    assertThat(Files.readString(dir.resolve("RPM-GPG-KEY-acme"))).isEqualTo(key.publicKeyArmored());
    assertThat(Files.readString(dir.resolve("acme.repo"))).isEqualTo("[acme]\nname=acme (kmodkit)\nbaseurl=https://repo.example/acme\nenabled=1\n"
        + "gpgcheck=1\nrepo_gpgcheck=1\ngpgkey=https://repo.example/acme/RPM-GPG-KEY-acme\n");
    assertThat(s.clientConfig()).containsExactly(dir.resolve("RPM-GPG-KEY-acme"), dir.resolve("acme.repo"));
    assertThat(Files.isSymbolicLink(dir.resolve("repodata"))).isTrue();
    assertThat(Files.readSymbolicLink(dir.resolve("repodata")).toString()).startsWith(".kmodkit/repodata-");
  }

  @Test
  void writingTheSameRepositoryTwiceGivesTheSameMetadataAndKeepsOneOldGeneration() throws Exception {
    Path dir = repo(key);
    new YumRepository().create(dir, options(key, false));
    String primary = gunzip(metadata(dir, "primary"));
    byte[] repomd = Files.readAllBytes(dir.resolve("repodata/repomd.xml"));
    Path first = Files.readSymbolicLink(dir.resolve("repodata"));
    new YumRepository().create(dir, options(key, false));
    new YumRepository().create(dir, options(key, false));
    assertThat(gunzip(metadata(dir, "primary"))).isEqualTo(primary);
    assertThat(Files.readAllBytes(dir.resolve("repodata/repomd.xml"))).isEqualTo(repomd);
    assertThat(Files.readSymbolicLink(dir.resolve("repodata"))).isNotEqualTo(first);
    try (var gens = Files.list(dir.resolve(".kmodkit"))) {
      assertThat(gens.filter(p -> p.getFileName().toString().startsWith("repodata-")).count()).isEqualTo(2);
    }
    try (var top = Files.list(dir)) {
      assertThat(top.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp"))).isEmpty();
    }
  }

  @Test
  void runsAtTheSameTimeOnOneDirectoryLeaveARepodataWhoseFilesAllExist() throws Exception {
    Path dir = repo(key);
    List<Thread> runs = new java.util.ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    for (int i = 0; i < 4; i++) {
      Thread t = new Thread(() -> {
        try {
          new YumRepository().create(dir, options(key, false));
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      runs.add(t);
      t.start();
    }
    for (Thread t : runs) {
      t.join();
    }
    assertThat(failures).isEmpty();
    String repomd = Files.readString(dir.resolve("repodata/repomd.xml"));
    for (String type : List.of("primary", "filelists", "other")) {
      String href = repomd.replaceAll("(?s).*<location href=\"(repodata/[0-9a-f]+-" + type + "\\.xml\\.gz)\".*", "$1");
      assertThat(dir.resolve(href)).isRegularFile();
    }
  }

  @Test
  void packagesInHiddenDirectoriesAreLeftOut() throws Exception {
    Path dir = repo(key);
    Files.createDirectories(dir.resolve(".trash"));
    Files.copy(dir.resolve("acme-firmware-1-1.noarch.rpm"), dir.resolve(".trash/old-1-1.noarch.rpm"));
    assertThat(new YumRepository().create(dir, options(key, false)).packages()).isEqualTo(2);
  }

  @Test
  void verifyRefusesAnUnsignedPackageNamingItAndTheFix() throws Exception {
    Path dir = repo(null);
    Path rpm = dir.resolve("acme-firmware-1-1.noarch.rpm");
    assertThatThrownBy(() -> new YumRepository().create(dir, options(key, true))).isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(rpm + ": is not signed; sign it with `kmodkit package ... --sign-key KEY` or `rpmsign --addsign");
    assertThat(dir.resolve("repodata")).doesNotExist();
  }

  @Test
  void verifyRefusesAPackageSignedByAKeyOutsideTheTrustedList() throws Exception {
    Path dir = repo(otherKey);
    Path trusted = Files.writeString(tmp.resolve("trusted.asc"), key.publicKeyArmored());
    assertThatThrownBy(() -> new YumRepository().create(dir, new RepoOptions("acme", key, true, List.of(trusted), "https://r")))
        .hasMessageContaining(": is signed by key " + otherKey.keyId() + ", not trusted (trusted: " + key.keyId() + ")");
    Path both = Files.writeString(tmp.resolve("other.asc"), otherKey.publicKeyArmored());
    assertThat(new YumRepository().create(dir, new RepoOptions("acme", key, true, List.of(trusted, both), "https://r")).packages()).isEqualTo(2);
  }

  @Test
  void anUnsignedRepositoryTellsClientsNotToCheck() throws Exception {
    Path dir = repo(null);
    RepoSummary s = new YumRepository().create(dir, options(null, false));
    assertThat(Files.readString(dir.resolve("acme.repo"))).contains("gpgcheck=0\n");
    assertThat(dir.resolve("repodata/repomd.xml.asc")).doesNotExist();
    assertThat(s.clientConfig()).containsExactly(dir.resolve("acme.repo"));
  }

  @Test
  void aMissingDirectoryAFileAndAnEmptyDirectoryAreRefused() throws Exception {
    Path missing = tmp.resolve("nope");
    assertThatThrownBy(() -> new YumRepository().create(missing, options(key, false))).hasMessage(missing + ": no such directory; put the .rpm files in a directory and pass it");
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertThatThrownBy(() -> new YumRepository().create(file, options(key, false))).hasMessageStartingWith(file + ": is not a directory");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> new YumRepository().create(empty, options(key, false))).hasMessageStartingWith(empty + ": holds no .rpm files");
  }

  @Test
  void aRepodataDirectoryNotWrittenByKmodkitIsLeftAlone() throws Exception {
    Path dir = repo(key);
    Path user = Files.createDirectories(dir.resolve("repodata"));
    Files.writeString(user.resolve("repomd.xml"), "createrepo's");
    assertThatThrownBy(() -> new YumRepository().create(dir, options(key, false))).isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(user + ": exists and was not written by kmodkit");
    assertThat(Files.readString(user.resolve("repomd.xml"))).isEqualTo("createrepo's");
    assertThat(dir.resolve(".kmodkit")).doesNotExist();
  }

  @Test
  void aTruncatedPackageIsRefusedByName() throws Exception {
    Path dir = repo(key);
    Path rpm = dir.resolve("acme-firmware-1-1.noarch.rpm");
    byte[] bytes = Files.readAllBytes(rpm);
    Files.write(rpm, Arrays.copyOf(bytes, bytes.length / 2));
    assertThatThrownBy(() -> new YumRepository().create(dir, options(key, false))).isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(rpm + ": is a truncated");
    assertThat(dir.resolve("repodata")).doesNotExist();
  }

  @Test
  void createrepoStyleEpochVersionReleaseSplitting() {
    assertThat(YumXml.evr("0x1234abcd")).containsExactly("0", "0x1234abcd", null);
    assertThat(YumXml.evr("1:2.0-3.el9")).containsExactly("1", "2.0", "3.el9");
    assertThat(YumXml.isPrimary("/usr/sbin/x")).isTrue();
    assertThat(YumXml.isPrimary("/etc/x.conf")).isTrue();
    assertThat(YumXml.isPrimary("/lib/modules/x.ko")).isFalse();
  }
}
