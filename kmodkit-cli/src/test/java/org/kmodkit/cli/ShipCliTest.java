package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.formats.ShipFixtures;
import org.kmodkit.formats.sign.OpenPgpSigner;

/** package and repo create on the committed real modules, and their refusals, through the CLI. */
class ShipCliTest {
  @TempDir Path tmp;

  Path rebuildOut() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("out/6.1.0-53-cloud-amd64/extra/hello"));
    for (String m : new String[] {"hello.ko", "hello_nonet.ko"}) {
      Files.copy(CliTest.REAL.resolve("6.1.0-53").resolve(m), out.resolve(m));
    }
    return tmp.resolve("out");
  }

  private Path key() throws Exception {
    Path key = tmp.resolve("key.asc");
    Files.writeString(key, OpenPgpSigner.generate("test <t@example>", 2048).secretKeyArmored());
    return key;
  }

  @Test
  void packageThenRepoCreateWritesSignedRpmsAndASignedRepositoryWithItsClientConfig() throws Exception {
    Path key = key();
    Path repo = tmp.resolve("repo");
    CliTest.Run p = CliTest.run("package", "--modules", rebuildOut().toString(), "--name", "hello", "--version", "1.0-2", "--format", "both", "--pgp-key", key.toString(), "--out", repo.toString());
    assertThat(p.code()).as(p.err()).isZero();
    assertThat(p.out()).contains(repo.resolve("kmod-hello-6.1.0-53-cloud-amd64-1.0-2.x86_64.rpm").toString(), repo.resolve("hello-kernel-only-1.0-2.x86_64.rpm").toString(),
        repo.resolve("hello-modules-6.1.0-53-cloud-amd64_1.0-2_amd64.deb").toString());
    CliTest.Run y = CliTest.run("repo", "create", "--yum", repo.toString(), "--pgp-key", key.toString(), "--name", "hello", "--verify");
    assertThat(y.code()).as(y.err()).isZero();
    assertThat(y.out()).startsWith("yum repository " + repo + ": 2 packages, signed by ");
    assertThat(repo.resolve("repodata/repomd.xml.asc")).exists();
    assertThat(repo.resolve("hello.repo")).content().contains("gpgcheck=1", "repo_gpgcheck=1");
    CliTest.Run a = CliTest.run("repo", "create", "--apt", repo.toString(), "--pgp-key", key.toString(), "--name", "hello", "--verify");
    assertThat(a.code()).as(a.err()).isZero();
    assertThat(repo.resolve("dists/kmodkit/InRelease")).exists();
  }

  @Test
  void aDryRunListsTheKernelSymbolRequiresAndWritesNothing() throws Exception {
    CliTest.Run p = CliTest.run("package", "--dry-run", "--modules", rebuildOut().toString(), "--name", "hello", "--version", "1.0", "--out", tmp.resolve("none").toString());
    assertThat(p.code()).isZero();
    assertThat(p.out()).contains("kmod-hello-6.1.0-53-cloud-amd64-1.0-1.x86_64: 2 files").containsPattern("requires kernel\\(module_layout\\) = 0x[0-9a-f]{8}").contains("provides kmod(hello.ko)");
    assertThat(tmp.resolve("none")).doesNotExist();
  }

  @Test
  void aVersionRpmRefusesIsBadInputWithTheSplitToUse() throws Exception {
    CliTest.Run p = CliTest.run("package", "--modules", rebuildOut().toString(), "--name", "hello", "--version", "5.9-0.5-1");
    assertThat(p.code()).isEqualTo(2);
    assertThat(p.err()).contains("kmodkit: --version 5.9-0.5-1: rpm refuses a Version with '-'");
  }

  @Test
  void unsignedPackagesAreRefusedByRepoCreateVerifyAndNothingIsWritten() throws Exception {
    Path repo = tmp.resolve("repo");
    assertThat(CliTest.run("package", "--modules", rebuildOut().toString(), "--name", "hello", "--version", "1.0", "--out", repo.toString()).code()).isZero();
    CliTest.Run y = CliTest.run("repo", "create", "--yum", repo.toString(), "--pgp-key", key().toString(), "--verify");
    assertThat(y.code()).isEqualTo(2);
    assertThat(y.err()).contains("is not signed");
    assertThat(repo.resolve("repodata")).doesNotExist();
  }

  @Test
  void aSigningKeyWithASmallPrimeFactorIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path repo = tmp.resolve("repo");
    assertThat(CliTest.run("package", "--modules", rebuildOut().toString(), "--name", "hello", "--version", "1.0", "--out", repo.toString()).code()).isZero();
    Path weak = ShipFixtures.rsaSecretKeyWithSmallFactor(tmp.resolve("weak.asc"), 3);
    for (String kind : new String[] {"--yum", "--apt"}) {
      CliTest.Run r = CliTest.run("repo", "create", kind, repo.toString(), "--pgp-key", weak.toString());
      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).startsWith("kmodkit: " + weak + ": the RSA key ").contains("small prime factor").hasLineCount(1);
    }
    assertThat(repo.resolve("repodata")).doesNotExist();
    assertThat(repo.resolve("dists")).doesNotExist();
    assertThat(repo.resolve(".kmodkit")).doesNotExist();
  }

  @Test
  void aRepositoryDirectoryThatIsNotOneIsNamed() throws Exception {
    CliTest.Run y = CliTest.run("repo", "create", "--yum", tmp.resolve("missing").toString());
    assertThat(y.code()).isEqualTo(2);
    assertThat(y.err()).contains("kmodkit: " + tmp.resolve("missing") + ": no such directory");
  }

  @Test
  void serveOnAPortInUseSaysSoAndExitsWithTheEnvironmentCode() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      CliTest.Run s = CliTest.run("repo", "serve", tmp.toString(), "--port", String.valueOf(busy.getLocalPort()));
      assertThat(s.code()).isEqualTo(3);
      assertThat(s.err()).contains("127.0.0.1:" + busy.getLocalPort());
    }
    assertThat(CliTest.run("repo", "serve", "--help").out()).contains("3 environment (the address is in use");
  }
}
