package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The options several commands share (Options.java): one --kernel grammar with one --root rule,
 * -v and -q exclusive, -j checked wherever it is taken, one name per kind of key with the old
 * names still working and saying so.
 */
class SharedOptionsCliTest {
  @TempDir Path tmp;

  String hello() {
    return CliTest.REAL.resolve("6.1.0-56/hello.ko").toString();
  }

  /** rebuild's stand-in kernel build directory (RebuildCliTest), in this test's directory. */
  RebuildCliTest standInKernel() throws Exception {
    RebuildCliTest rb = new RebuildCliTest();
    rb.tmp = tmp;
    rb.standInKernel();
    return rb;
  }

  @Test
  void checkWithRootTakesAKernelFileByItsPathToo() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root/lib/modules"));
    CliTest.Run r = CliTest.run("check", "--root", root.getParent().toString(), "--kernel", CliTest.K56, hello());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("hello");
  }

  @Test
  void aPathThatIsNotThereIsNamedWithTheFormsToPassWithRootAsWithout() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    CliTest.Run r = CliTest.run("check", "--root", root.toString(), "--kernel", tmp.resolve("a.deb").toString(), "--kernel", "6.1.0-56-cloud-amd64", hello());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("no such file or directory; pass a symvers file, a headers directory, a vmlinuz, kernel packages, or a release (with --root DIR)");
  }

  @Test
  void aBareNameThatIsNoFileAndNoKernelHereSaysBothAndTheWayOut() {
    CliTest.Run r = CliTest.run("check", "--kernel", "0.0.0-no-such-kernel", hello());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("kmodkit: 0.0.0-no-such-kernel: is neither a file nor a kernel installed here (no /lib/modules/0.0.0-no-such-kernel); pass a symvers file, a headers directory, kernel packages, or a release with --root DIR\n");
  }

  @Test
  void rebuildWithRootTakesAHeadersDirectoryByItsPath() throws Exception {
    RebuildCliTest rb = standInKernel();
    Path root = Files.createDirectories(tmp.resolve("root"));
    CliTest.Run r = CliTest.run("rebuild", "--root", root.toString(), "--kernel", rb.kernel.toString(), "--out", tmp.resolve("out").toString(), "-s", rb.kbuildTree("hello").toString(), "--dry-run");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains(RebuildCliTest.RELEASE);
  }

  @Test
  void rebuildNamesAKernelFileAsNoBuildTree() throws Exception {
    CliTest.Run r = CliTest.run("rebuild", "--kernel", CliTest.K56, "--out", tmp.resolve("out").toString(), "-s", tmp.toString(), "--dry-run");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains(CliTest.K56 + ": is a file, not a kernel build tree; pass a headers directory, kernel headers packages");
  }

  @Test
  void verboseAndQuietTogetherAreAUsageError() {
    CliTest.Run r = CliTest.run("check", "-v", "-q", "--kernel", CliTest.K56, hello());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("mutually exclusive");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void addKernelSupportRefusesZeroJobSlotsAsRebuildDoes() {
    for (String command : new String[] {"rebuild", "add-kernel-support"}) {
      String[] args = command.equals("rebuild")
          ? new String[] {command, "-j", "0", "--kernel", tmp.toString(), "-s", tmp.toString(), "--out", tmp.resolve("out").toString()}
          : new String[] {command, "-j", "0", "--kernel", tmp.toString(), "--bundle", tmp.resolve("none").toString(), "--tmpdir", tmp.toString()};
      CliTest.Run r = CliTest.run(args);
      assertThat(r.code()).as(command).isEqualTo(2);
      assertThat(r.err()).as(command).startsWith("kmodkit: -j must be at least 1\n");
    }
  }

  @Test
  void moduleKeysAreModuleKeyAndModuleCertAndTheOldNamesWorkWithOneLineEach() throws Exception {
    RebuildCliTest rb = standInKernel();
    String src = rb.kbuildTree("hello").toString();
    String key = RebuildCliTest.SIGN.resolve("test-signing-key.pem").toString();
    String cert = RebuildCliTest.SIGN.resolve("test-signing-cert.pem").toString();
    String out = tmp.resolve("out").toString();
    CliTest.Run now = CliTest.run("rebuild", "--kernel", rb.kernel.toString(), "-s", src, "--out", out, "--dry-run", "--module-key", key, "--module-cert", cert);
    assertThat(now.code()).as(now.err()).isZero();
    assertThat(now.err()).doesNotContain("deprecated");
    CliTest.Run old = CliTest.run("rebuild", "--kernel", rb.kernel.toString(), "-s", src, "--out", out, "--dry-run", "--sign-key", key, "--sign-cert", cert);
    assertThat(old.code()).as(old.err()).isZero();
    assertThat(old.err()).startsWith("kmodkit: --sign-key is deprecated here; use --module-key\nkmodkit: --sign-cert is deprecated here; use --module-cert\n");
    assertThat(old.out()).isEqualTo(now.out());
    CliTest.Run half = CliTest.run("rebuild", "--kernel", rb.kernel.toString(), "-s", src, "--out", out, "--dry-run", "--module-key", key);
    assertThat(half.code()).isEqualTo(2);
    assertThat(half.err()).contains("kmodkit: --module-key: needs its partner: pass both --module-key KEY.pem and --module-cert CERT");
  }

  @Test
  void theOpenPgpKeyIsPgpKeyInPackageAndRepoAndSignKeyThereSaysSo() throws Exception {
    ShipCliTest ship = new ShipCliTest();
    ship.tmp = tmp;
    String modules = ship.rebuildOut().toString();
    String key = GoldenTest.PGP_KEY.toString();
    CliTest.Run now = CliTest.run("package", "--modules", modules, "--name", "hello", "--version", "1.0", "--pgp-key", key, "--out", tmp.resolve("now").toString());
    assertThat(now.code()).as(now.err()).isZero();
    assertThat(now.err()).isEmpty();
    CliTest.Run old = CliTest.run("package", "--modules", modules, "--name", "hello", "--version", "1.0", "--sign-key", key, "--out", tmp.resolve("old").toString());
    assertThat(old.err()).isEqualTo("kmodkit: --sign-key is deprecated here; use --pgp-key\n");
    CliTest.Run repo = CliTest.run("repo", "create", "--yum", tmp.resolve("now").toString(), "--pgp-key", key, "--verify");
    assertThat(repo.code()).as(repo.err()).isZero();
    assertThat(repo.out()).contains("signed by");
    CliTest.Run unsigned = CliTest.run("repo", "create", "--yum", tmp.resolve("old").toString());
    assertThat(unsigned.err()).contains("give --pgp-key");
  }

  @Test
  void helpOffersTheNewNamesOnlyAndKeepsEachCommandsOwnWording() {
    for (String command : new String[] {"rebuild", "add-kernel-support", "package"}) {
      String help = CliTest.run(command, "--help").out();
      assertThat(help).as(command).doesNotContain("--sign-key").doesNotContain("--sign-cert");
    }
    assertThat(CliTest.run("rebuild", "--help").out()).contains("--module-key=KEY", "--module-cert=CERT");
    var model = Main.commandLine(Host.system(), Main.commands()).getSubcommands();
    assertThat(description(model.get("rebuild"), "--kernel")).isEqualTo("A kernel to build for (repeat; packages of several kernels may be mixed).");
    assertThat(description(model.get("check"), "--kernel")).isEqualTo("The target kernel (repeat for several packages of one kernel).");
    assertThat(description(model.get("check"), "--json")).isEqualTo("Print JSON (schema kmodkit.check/1, see docs/json.md).");
    assertThat(description(model.get("verify"), "--json")).isEqualTo("Print JSON (schema kmodkit.verify/1, see docs/json.md).");
    assertThat(description(model.get("package"), "--pgp-key")).startsWith("OpenPGP secret key (gpg --export-secret-keys --armor) to sign the RPMs");
    assertThat(description(model.get("repo").getSubcommands().get("create"), "--pgp-key")).startsWith("OpenPGP secret key (gpg --export-secret-keys --armor) that signs the metadata");
  }

  static String description(picocli.CommandLine command, String option) {
    return String.join(" ", command.getCommandSpec().findOption(option).description());
  }
}
