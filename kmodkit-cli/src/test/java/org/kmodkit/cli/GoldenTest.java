package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.testkit.FakeRoot;
import org.kmodkit.testkit.ImageBuilder;
import org.kmodkit.testkit.KoBuilder;

/**
 * Golden outputs: the text and JSON of every command on fixed inputs (the committed real modules
 * and symvers, and roots, packages and sources built in code with fixed contents), compared byte
 * for byte with {@code src/test/resources/golden/<command>-<case>.{txt,json}}. Beside each file,
 * {@code <file>.exit} holds the exit code on its first line and then what went to stderr, so exit
 * behaviour and diagnostics are pinned as well as the data.
 *
 * <p>Normalised before comparing, and nothing else: the test's temporary directory becomes
 * {@code <tmp>}, the committed fixtures' directory {@code <real>}, and a case names any further
 * rule it needs next to its run: {@link #SECONDS}, {@link #CONFINEMENT} (the host's bubblewrap),
 * {@link #METADATA_DIGEST}. Nothing else: a new difference is a change of behaviour.
 *
 * <p>A deliberate output change is one command and a reviewed diff:
 * {@code mvn -B -ntp -o -q -pl kmodkit-cli -am test -Dtest=GoldenTest -Dsurefire.failIfNoSpecifiedTests=false -Dgolden.update=true},
 * then {@code git diff kmodkit-cli/src/test/resources/golden} (see docs/testing.md).
 */
class GoldenTest {
  static final Path DIR = Path.of("src/test/resources/golden");
  static final boolean UPDATE = Boolean.getBoolean("golden.update");

  static final String K1 = "5.14.0-1.el9.x86_64";
  static final String K2 = "5.14.0-2.el9.x86_64";

  /** How dkms.conf is confined depends on the host: bubblewrap installed and usable, or not (and why). */
  static final Rule CONFINEMENT = new Rule("(confinement: )[^\\n]*|(\"dkms_conf_confinement\" : \")(?:[^\"\\\\]|\\\\.)*", "$1$2<host>");
  /** How long a build took, in text ("in 0.2 s", "(0.1 s)") and JSON ("wall_seconds" : 0.047). */
  static final Rule SECONDS = new Rule("\\b\\d+\\.\\d+ s\\b|(\"[a-z_]*seconds\" : )[0-9.]+", "$1<seconds>");
  /** YUM metadata files are named by their digest, and the metadata holds the packages' build time and mtime. */
  static final Rule METADATA_DIGEST = new Rule("/[0-9a-f]{64}-", "/<sha256>-");
  /** An OpenPGP key committed for tests, so output naming the signer is fixed. */
  static final Path PGP_KEY = Path.of("src/test/resources/pgp/test-key.asc").toAbsolutePath();

  @TempDir Path tmp;

  /** A rule for a part of the output that truly varies from run to run. */
  record Rule(String regex, String replacement) {}

  /** Compares a run with {@code <name>} and its {@code .exit} sidecar (or writes them under -Dgolden.update=true). */
  void golden(String name, CliTest.Run r, Rule... rules) throws IOException {
    matches(name, normalise(r.out(), rules));
    matches(name + ".exit", "exit " + r.code() + "\n" + normalise(r.err(), rules));
  }

  /** Compares {@code text} with the golden file {@code name}, or writes it there under -Dgolden.update=true. */
  static void matches(String name, String text) throws IOException {
    Path file = DIR.resolve(name);
    if (UPDATE) {
      Files.writeString(file, text);
    }
    assertThat(text).as(name).isEqualTo(Files.readString(file));
  }

  String normalise(String text, Rule... rules) {
    String s = text.replace(tmp.toString(), "<tmp>").replace(CliTest.REAL.toString(), "<real>");
    for (Rule rule : rules) {
      s = s.replaceAll(rule.regex(), rule.replacement());
    }
    return s;
  }

  String real(String rel) {
    return CliTest.REAL.resolve(rel).toString();
  }

  @Test
  void aGoldenFileThatDiffersByOneByteOrByItsExitCodeFailsTheComparison() throws IOException {
    assumeFalse(UPDATE, "nothing is compared while the golden files are rewritten");
    CliTest.Run r = CliTest.run("inspect", real("6.1.0-56/hello.ko"));
    golden("inspect-hello.txt", r);
    CliTest.Run oneByte = new CliTest.Run(r.code(), r.out().replaceFirst("hello", "hellp"), r.err());
    assertThatThrownBy(() -> golden("inspect-hello.txt", oneByte)).isInstanceOf(AssertionError.class).hasMessageContaining("inspect-hello.txt");
    CliTest.Run otherExit = new CliTest.Run(1, r.out(), r.err());
    assertThatThrownBy(() -> golden("inspect-hello.txt", otherExit)).isInstanceOf(AssertionError.class).hasMessageContaining("inspect-hello.txt.exit");
  }

  @Test
  void everyGoldenFileIsNamedByACaseSoNoneLiesUncompared() throws IOException {
    String source = Files.readString(Path.of("src/test/java/org/kmodkit/cli/GoldenTest.java"));
    try (var files = Files.list(DIR)) {
      assertThat(files.map(f -> f.getFileName().toString().replaceFirst("\\.exit$", "")).filter(n -> !source.contains("\"" + n + "\"")).sorted().toList())
          .as("golden files no case compares: delete them with the case that made them").isEmpty();
    }
  }

  @Test
  void inspect() throws IOException {
    golden("inspect-hello.txt", CliTest.run("inspect", real("6.1.0-56/hello.ko")));
    golden("inspect-signed.txt", CliTest.run("inspect", real("debian-6.1.0-56/uio.ko")));
    golden("inspect-signed.json", CliTest.run("inspect", "--json", real("debian-6.1.0-56/uio.ko")));
    golden("inspect-exports-brief.txt", CliTest.run("inspect", "--brief", real("6.1.0-56/hello_export.ko")));
    golden("inspect-exports.json", CliTest.run("inspect", "--json", real("6.1.0-56/hello_export.ko")));
    Path vmlinux = Files.write(tmp.resolve("vmlinux"), ImageBuilder.vmlinux().export("_printk", 0x92997ed8L, false, "").export("kmodkit_ns_add", 0x8ee9b418L, true, "KMODKIT_TEST").elf());
    golden("inspect-image.txt", CliTest.run("inspect", vmlinux.toString()));
    golden("inspect-image.json", CliTest.run("inspect", "--json", vmlinux.toString()));
    golden("inspect-missing.txt", CliTest.run("inspect", tmp.resolve("missing.ko").toString()));
  }

  @Test
  void check() throws IOException {
    String k56 = CliTest.K56;
    golden("check-loads.txt", CliTest.run("check", "--kernel", k56, real("6.1.0-56")));
    golden("check-loads.json", CliTest.run("check", "--json", "--kernel", k56, real("6.1.0-56")));
    golden("check-crc-mismatch.txt", CliTest.run("check", "-v", "--kernel", k56, real("6.1.0-53")));
    golden("check-crc-mismatch.json", CliTest.run("check", "--json", "--kernel", k56, real("6.1.0-53")));
    golden("check-quiet.txt", CliTest.run("check", "-q", "--kernel", k56, real("6.1.0-53"), real("6.1.0-56")));
    golden("check-headers-dir.txt", CliTest.run("check", "--kernel", real("arch/amd64/headers"), real("arch/amd64/nls_ascii.ko")));
    Path text = tmp.resolve("notes.ko");
    Files.writeString(text, "just some text, not a module\n");
    String[] bad = {"check", "--kernel", k56, text.toString(), real("6.1.0-56/hello_nonet.ko"), tmp.resolve("missing.ko").toString()};
    golden("check-bad-input.txt", CliTest.run(bad));
    golden("check-bad-input.json", CliTest.run(with(bad, "--json")));
    golden("check-usage.txt", CliTest.run("check", real("6.1.0-56/hello.ko")));
  }

  static KoBuilder mod(String name) {
    return KoBuilder.module(name).vermagic(K1 + " SMP preempt mod_unload modversions ").version("module_layout", 0x1);
  }

  /**
   * Kernel 1 with three vendor modules: hello fits kernel 2 too; alloc uses kmalloc, whose CRC
   * kernel 2 changed; legacy uses old_sym, which kernel 2 no longer exports.
   */
  FakeRoot root(boolean withK2) {
    Map<String, Long> k1 = new LinkedHashMap<>(Map.of("_printk", 0xaaL, "kmalloc", 0xbbL, "old_sym", 0xccL));
    FakeRoot root = FakeRoot.at(tmp.resolve("root")).kernel(K1, 0x1, k1);
    if (withK2) {
      root.kernel(K2, 0x1, k2());
    }
    root.module(K1, "extra/hello/hello.ko", mod("hello").uses("_printk", 0xaa));
    root.module(K1, "extra/alloc/alloc.ko", mod("alloc").uses("_printk", 0xaa).uses("kmalloc", 0xbb));
    root.module(K1, "extra/legacy/legacy.ko", mod("legacy").uses("old_sym", 0xcc));
    return root;
  }

  static Map<String, Long> k2() {
    return new LinkedHashMap<>(Map.of("_printk", 0xaaL, "kmalloc", 0xbdL));
  }

  @Test
  void status() throws IOException {
    String root = root(true).path().toString();
    golden("status-two-kernels.txt", CliTest.run("status", "--root", root));
    golden("status-two-kernels.json", CliTest.run("status", "--root", root, "--json"));
    Path html = tmp.resolve("status.html");
    golden("status-two-kernels-html-option.txt", CliTest.run("status", "--root", root, "--html", html.toString()));
    matches("status-two-kernels.html", normalise(Files.readString(html)));
  }

  @Test
  void weakModules() throws IOException {
    String root = root(true).path().toString();
    golden("weak-modules-add-kernel-dry-run.txt", CliTest.run("weak-modules", "--root", root, "--add-kernel", K2, "--dry-run", "--verbose"));
    golden("weak-modules-add-kernel-dry-run.json", CliTest.run("weak-modules", "--root", root, "--add-kernel", K2, "--dry-run", "--json"));
    golden("weak-modules-remove-kernel-dry-run.txt", CliTest.run("weak-modules", "--root", root, "--remove-kernel", K2, "--dry-run"));
    golden("weak-modules-missing-module.txt", CliTest.run("weak-modules", "--root", root, "--no-initramfs", "--add-modules", "/lib/modules/" + K1 + "/extra/gone.ko"));
  }

  @Test
  void preflight() throws Exception {
    String root = root(false).path().toString();
    FakeRoot next = FakeRoot.at(tmp.resolve("k2")).kernel(K2, 0x1, k2());
    List<PayloadFile> files = new ArrayList<>();
    for (String f : List.of("/boot/symvers-" + K2 + ".gz", "/boot/config-" + K2)) {
      files.add(new PayloadFile(f, 0644, next.resolve(f)));
    }
    Path deb = new DebWriter().write(new PackageSpec("linux-image-test", "2", "1", "x86_64", "kernel", "Kernel.", null, null, null, 1_700_000_000L, files, List.of(), List.of(), List.of(), null),
        Files.createDirectories(tmp.resolve("debs")), null);
    golden("preflight-deb.txt", CliTest.run("preflight", "--root", root, "--kernel-package", deb.toString()));
    golden("preflight-deb.json", CliTest.run("preflight", "--root", root, "--kernel-package", deb.toString(), "--json"));
  }

  @Test
  void verifyJudgesARecordedConsole() throws IOException {
    VerifyCommandTest v = new VerifyCommandTest();
    v.dir = tmp;
    v.machine();
    String[] args = {"verify", "--vm", "--kernel", v.vmlinuz.toString(), "--modules", real("6.1.0-56"), real("6.1.0-53"), "--work-dir", tmp.resolve("work").toString()};
    VerifyCommandTest.Run text = v.run("console-56-bare-vmlinuz.log", args);
    golden("verify-bare-vmlinuz.txt", new CliTest.Run(text.code(), text.out(), text.err()));
    VerifyCommandTest.Run j = v.run("console-56-bare-vmlinuz.log", with(args, "--json"));
    golden("verify-bare-vmlinuz.json", new CliTest.Run(j.code(), j.out(), j.err()));
    VerifyCommandTest.Run verbose = v.run("console-56-bare-vmlinuz.log", with(args, "-v"));
    golden("verify-bare-vmlinuz-verbose.txt", new CliTest.Run(verbose.code(), verbose.out(), verbose.err()));
  }

  @Test
  void rebuildItsDryRunAndAddKernelSupport() throws Exception {
    RebuildCliTest rb = new RebuildCliTest();
    rb.tmp = tmp;
    rb.standInKernel();
    String dkms = rb.dkmsTree("vpoll", RebuildCliTest.PRINTK).toString();
    String kbuild = rb.kbuildTree("hello").toString();
    String[] rebuild = {"rebuild", "--kernel", rb.kernel.toString(), "--out", tmp.resolve("out").toString(), "-j", "1", "-s", dkms, "-s", kbuild}; // one job slot: progress in a fixed order
    golden("rebuild-dry-run.txt", CliTest.run(with(rebuild, "--dry-run")), CONFINEMENT);
    golden("rebuild-dry-run.json", CliTest.run(with(rebuild, "--dry-run", "--json")), CONFINEMENT);
    golden("rebuild-built.txt", CliTest.run(rebuild), CONFINEMENT, SECONDS);
    golden("rebuild-built.json", CliTest.run(with(rebuild, "--json")), CONFINEMENT, SECONDS);
    Path broken = rb.dkmsTree("broken", RebuildCliTest.PRINTK);
    Files.writeString(broken.resolve("broken"), ""); // the stand-in kernel's make fails on it with a compiler's error line
    golden("rebuild-failed.txt", CliTest.run("rebuild", "--kernel", rb.kernel.toString(), "--out", tmp.resolve("out-failed").toString(), "-j", "1", "-s", broken.toString()), CONFINEMENT, SECONDS);
    Path bundle = Files.createDirectories(tmp.resolve("bundle"));
    Files.writeString(bundle.resolve("kmodkit-bundle.conf"), "name=acme-nic\nversion=5.2-1\ndistro=rhel9.4\ndrivers=drv\n");
    Files.move(rb.dkmsTree("acme", RebuildCliTest.PRINTK), bundle.resolve("drv"));
    // a fixed --pgp-key: without one a 3072-bit key is made per run, seconds of CPU (RebuildCliTest covers that path)
    String[] aks = {"add-kernel-support", "--bundle", bundle.toString(), "--kernel", rb.kernel.toString(), "--tmpdir", tmp.resolve("t").toString(), "--skip-repo", "-j", "1", "--pgp-key", PGP_KEY.toString()};
    golden("add-kernel-support-skip-repo.txt", CliTest.run(aks), CONFINEMENT, SECONDS);
    golden("add-kernel-support-exists.txt", CliTest.run(aks));
    golden("add-kernel-support-skip-repo.json", CliTest.run(with(aks, "-y", "--json")), CONFINEMENT, SECONDS);
  }

  static String[] with(String[] args, String... more) {
    String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return all;
  }

  @Test
  void packageAndRepo() throws Exception {
    ShipCliTest ship = new ShipCliTest();
    ship.tmp = tmp;
    String modules = ship.rebuildOut().toString();
    String repo = tmp.resolve("repo").toString();
    golden("package-dry-run.txt", CliTest.run("package", "--dry-run", "--modules", modules, "--name", "hello", "--version", "1.0", "--format", "both", "--out", repo));
    golden("package-kmp-dry-run.txt", CliTest.run("package", "--dry-run", "--kmp", "--modules", modules, "--name", "hello", "--version", "1.0", "--out", repo));
    golden("package-both.txt", CliTest.run("package", "--modules", modules, "--name", "hello", "--version", "1.0-2", "--format", "both", "--out", repo));
    golden("repo-create-yum.txt", CliTest.run("repo", "create", "--yum", repo, "--name", "hello"), METADATA_DIGEST);
    golden("repo-create-apt.txt", CliTest.run("repo", "create", "--apt", repo, "--name", "hello"));
    String signed = tmp.resolve("signed").toString();
    golden("package-signed.txt", CliTest.run("package", "--modules", modules, "--name", "hello", "--version", "1.0", "--sign-key", PGP_KEY.toString(), "--out", signed));
    golden("repo-create-yum-signed.txt", CliTest.run("repo", "create", "--yum", signed, "--name", "hello", "--sign-key", PGP_KEY.toString(), "--verify"), METADATA_DIGEST);
    // the same with the OpenPGP key's own name (the two above prove the old --sign-key still works, and say so)
    String pgp = tmp.resolve("signed-pgp-key").toString();
    golden("package-signed-pgp-key.txt", CliTest.run("package", "--modules", modules, "--name", "hello", "--version", "1.0", "--pgp-key", PGP_KEY.toString(), "--out", pgp));
    golden("repo-create-yum-signed-pgp-key.txt", CliTest.run("repo", "create", "--yum", pgp, "--name", "hello", "--pgp-key", PGP_KEY.toString(), "--verify"), METADATA_DIGEST);
    golden("package-bad-version.txt", CliTest.run("package", "--modules", modules, "--name", "hello", "--version", "5.9-0.5-1"));
  }

  @Test
  void cache() throws IOException {
    Path c = tmp.resolve("cache");
    entry(c.resolve("kernels/0123456789abcdef"), 3 << 20, "2026-01-02T03:04:05Z");
    entry(c.resolve("demo"), 2048, "2026-02-03T04:05:06Z");
    entry(c.resolve("corpus"), 100, "2025-03-04T05:06:07Z");
    Files.write(c.resolve("cds-42.jsa"), new byte[1 << 20]);
    Files.setLastModifiedTime(c.resolve("cds-42.jsa"), FileTime.from(Instant.parse("2026-01-05T00:00:00Z")));
    golden("cache-list.txt", CliTest.run("cache", "list", "--cache", c.toString()));
    golden("cache-list.json", CliTest.run("cache", "list", "--json", "--cache", c.toString()));
    // by size only: which entries go depends on their order of last use, not on today's date
    golden("cache-prune-max-size-dry-run.txt", CliTest.run("cache", "prune", "--max-size", "2M", "--dry-run", "--cache", c.toString()));
  }

  /** A cache entry of {@code bytes} bytes, last used at {@code when}. */
  static void entry(Path dir, int bytes, String when) throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("data"), new byte[bytes]);
    Files.setLastModifiedTime(Files.createFile(dir.resolve(".last-used")), FileTime.from(Instant.parse(when)));
  }

  @Test
  void usage() throws IOException {
    golden("usage-no-command.txt", CliTest.run());
    golden("usage-unknown-command.txt", CliTest.run("chek"));
  }
}
