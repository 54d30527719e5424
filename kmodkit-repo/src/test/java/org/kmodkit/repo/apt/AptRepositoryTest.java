package org.kmodkit.repo.apt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.repo.RepoOptions;
import org.kmodkit.repo.RepoSummary;
import org.kmodkit.formats.ShipFixtures;
import org.kmodkit.formats.ShipFixtures.Run;
import org.kmodkit.formats.deb.DebWriter;

class AptRepositoryTest {
  @TempDir Path tmp;
  final AptRepository apt = new AptRepository(Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC));

  private Path repoWithTwoPackages(boolean signed) throws Exception {
    Path repo = tmp.resolve("repo");
    Path pool = repo.resolve("pool/h");
    Files.createDirectories(pool);
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    new DebWriter().write(ShipFixtures.spec(src, "hello-kmod", "1.2"), pool, signed ? ShipFixtures.signer() : null);
    new DebWriter().write(ShipFixtures.spec(src, "other-kmod", "3.0"), repo, signed ? ShipFixtures.signer() : null);
    Files.createDirectories(repo.resolve(".hidden"));
    Files.copy(pool.resolve("hello-kmod_1.2-1_amd64.deb"), repo.resolve(".hidden/ignored_1_amd64.deb"));
    return repo;
  }

  private RepoOptions options(boolean verify) throws Exception {
    return new RepoOptions("kk", ShipFixtures.signer(), verify, List.of(), "http://repo.example/kk");
  }

  @Test
  void aRepositoryListsEveryDebWithItsControlFieldsPathSizeAndHashes() throws Exception {
    Path repo = repoWithTwoPackages(true);
    RepoSummary s = apt.create(repo, options(true));
    assertThat(s.packages()).isEqualTo(2);
    String packages = Files.readString(repo.resolve("dists/kmodkit/main/binary-amd64/Packages"));
    Path deb = repo.resolve("pool/h/hello-kmod_1.2-1_amd64.deb");
    assertThat(packages).contains("Package: hello-kmod\nVersion: 1.2-1\n").contains("Filename: pool/h/hello-kmod_1.2-1_amd64.deb\nSize: " + Files.size(deb) + "\n")
        .contains("SHA256: " + sha256(Files.readAllBytes(deb)) + "\n").contains("Filename: other-kmod_3.0-1_amd64.deb").doesNotContain("ignored");
    assertThat(packages.split("\n\n")).hasSize(2);

    String release = Files.readString(repo.resolve("dists/kmodkit/Release"));
    byte[] index = Files.readAllBytes(repo.resolve("dists/kmodkit/main/binary-amd64/Packages"));
    assertThat(release).contains("Suite: kmodkit\n", "Codename: kmodkit\n", "Components: main\n", "Architectures: amd64\n", "Date: Mon, 30 Nov 2026 12:00:00 UTC\n")
        .contains(" " + sha256(index) + " " + String.format("%16d", index.length) + " main/binary-amd64/Packages\n")
        .contains("main/binary-amd64/Packages.xz\n");
    assertThat(Files.readString(repo.resolve("kk.list"))).isEqualTo("deb [signed-by=/etc/apt/keyrings/kk.gpg] http://repo.example/kk kmodkit main\n");
    assertThat(s.clientConfig()).contains(repo.resolve("kk.list"), repo.resolve("kk.gpg"));
  }

  @Test
  void inReleaseAndReleaseGpgVerifyWithGpgvAgainstTheBinaryKeyringNodesUseForSignedBy() throws Exception {
    Path repo = repoWithTwoPackages(false);
    apt.create(repo, options(false));
    Path suite = repo.resolve("dists/kmodkit");
    Path keyring = repo.resolve("kk.gpg");
    Run in = ShipFixtures.run(tmp, null, "gpgv", "--keyring", keyring.toString(), suite.resolve("InRelease").toString());
    assertThat(in.code()).as(in.err()).isZero();
    Run detached = ShipFixtures.run(tmp, null, "gpgv", "--keyring", keyring.toString(), suite.resolve("Release.gpg").toString(), suite.resolve("Release").toString());
    assertThat(detached.code()).as(detached.err()).isZero();
  }

  @Test
  void writingTwiceGivesIdenticalIndexesSwitchesTheDistsLinkAndLeavesOneTree() throws Exception {
    Path repo = repoWithTwoPackages(false);
    apt.create(repo, options(false));
    Path first = Files.readSymbolicLink(repo.resolve("dists"));
    byte[] packages = Files.readAllBytes(repo.resolve("dists/kmodkit/main/binary-amd64/Packages"));
    byte[] xz = Files.readAllBytes(repo.resolve("dists/kmodkit/main/binary-amd64/Packages.xz"));
    byte[] release = Files.readAllBytes(repo.resolve("dists/kmodkit/Release"));
    apt.create(repo, options(false));
    Path second = Files.readSymbolicLink(repo.resolve("dists"));
    assertThat(second).isNotEqualTo(first);
    assertThat(second.toString()).startsWith(".kmodkit/dists-");
    assertThat(Files.readAllBytes(repo.resolve("dists/kmodkit/main/binary-amd64/Packages"))).isEqualTo(packages);
    assertThat(Files.readAllBytes(repo.resolve("dists/kmodkit/main/binary-amd64/Packages.xz"))).isEqualTo(xz);
    assertThat(Files.readAllBytes(repo.resolve("dists/kmodkit/Release"))).isEqualTo(release);
    try (var s = Files.list(repo.resolve(".kmodkit"))) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(second.getFileName().toString(), "lock");
    }
    try (var s = Files.list(repo)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp") || n.startsWith(".dists.new"));
    }
  }

  @Test
  void indexesArePublishedByHashAndThePreviousRunsStayFetchableAfterASwitch() throws Exception {
    Path repo = repoWithTwoPackages(false);
    apt.create(repo, options(false));
    byte[] before = Files.readAllBytes(repo.resolve("dists/kmodkit/main/binary-amd64/Packages"));
    assertThat(Files.readString(repo.resolve("dists/kmodkit/Release"))).contains("Acquire-By-Hash: yes\n");
    Path byHash = repo.resolve("dists/kmodkit/main/binary-amd64/by-hash/SHA256");
    assertThat(byHash.resolve(sha256(before))).hasBinaryContent(before);

    new DebWriter().write(ShipFixtures.spec(tmp.resolve("src"), "third-kmod", "1.0"), repo, null);
    apt.create(repo, options(false));
    byte[] after = Files.readAllBytes(repo.resolve("dists/kmodkit/main/binary-amd64/Packages"));
    assertThat(after).isNotEqualTo(before);
    assertThat(byHash.resolve(sha256(after))).hasBinaryContent(after);
    assertThat(byHash.resolve(sha256(before))).hasBinaryContent(before);
  }

  @Test
  void aDistsDirectoryKmodkitDidNotMakeIsRefusedAndNothingIsDeleted() throws Exception {
    Path repo = repoWithTwoPackages(false);
    Path mine = repo.resolve("dists/stable/Release");
    Files.createDirectories(mine.getParent());
    Files.writeString(mine, "someone's release\n");
    assertThatThrownBy(() -> apt.create(repo, options(false))).isInstanceOf(BadInputException.class)
        .hasMessageContaining(repo.resolve("dists").toString()).hasMessageContaining("kmodkit did not make");
    assertThat(Files.readString(mine)).isEqualTo("someone's release\n");
    assertThat(repo.resolve(".kmodkit")).doesNotExist();
  }

  @Test
  void verifyRefusesAnUnsignedPackageAndOneSignedByAnUntrustedKeyNamingTheFile() throws Exception {
    Path repo = repoWithTwoPackages(false);
    assertThatThrownBy(() -> apt.create(repo, options(true))).isInstanceOf(BadInputException.class)
        .hasMessageContaining("other-kmod_3.0-1_amd64.deb").hasMessageContaining("is not signed");

    Path repo2 = tmp.resolve("repo2");
    Files.createDirectories(repo2);
    new DebWriter().write(ShipFixtures.spec(tmp, "hello-kmod", "1.2"), repo2, ShipFixtures.otherSigner());
    Path trusted = tmp.resolve("trusted.asc");
    Files.writeString(trusted, ShipFixtures.signer().publicKeyArmored());
    RepoOptions o = new RepoOptions("kk", ShipFixtures.signer(), true, List.of(trusted), "http://x/");
    assertThatThrownBy(() -> apt.create(repo2, o)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("hello-kmod_1.2-1_amd64.deb").hasMessageContaining(ShipFixtures.otherSigner().keyId()).hasMessageContaining("--trusted-key");
    assertThat(repo2.resolve("dists")).doesNotExist();
  }

  @Test
  void aMissingDirectoryAFileAndADirectoryWithoutDebsAreClearErrors() throws Exception {
    assertThatThrownBy(() -> apt.create(tmp.resolve("nope"), options(false))).isInstanceOf(BadInputException.class).hasMessageContaining("no such directory");
    Path file = tmp.resolve("file");
    Files.writeString(file, "x");
    assertThatThrownBy(() -> apt.create(file, options(false))).isInstanceOf(BadInputException.class).hasMessageContaining("is not a directory");
    Path empty = tmp.resolve("empty");
    Files.createDirectories(empty.resolve(".hidden"));
    Files.writeString(empty.resolve(".hidden/x.deb"), "x");
    assertThatThrownBy(() -> apt.create(empty, options(false))).isInstanceOf(BadInputException.class).hasMessageContaining("holds no .deb");
    Path broken = tmp.resolve("broken");
    Files.createDirectories(broken);
    Files.writeString(broken.resolve("x_1_amd64.deb"), "!<arch>\ndebian-binary   0");
    assertThatThrownBy(() -> apt.create(broken, options(false))).isInstanceOf(BadInputException.class).hasMessageContaining("x_1_amd64.deb").hasMessageContaining("truncated");
  }

  @Test
  void anUnsignedRepositoryTellsNodesToTrustTheSourceAndWritesNoSignatures() throws Exception {
    Path repo = repoWithTwoPackages(false);
    apt.create(repo, new RepoOptions("kk", null, false, List.of(), "http://x/kk"));
    assertThat(Files.readString(repo.resolve("kk.list"))).isEqualTo("deb [trusted=yes] http://x/kk kmodkit main\n");
    assertThat(repo.resolve("dists/kmodkit/InRelease")).doesNotExist();
    assertThat(repo.resolve("kk.gpg")).doesNotExist();
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
