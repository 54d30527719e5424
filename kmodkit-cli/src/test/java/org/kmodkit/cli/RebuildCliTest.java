package org.kmodkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.elf.ModuleReader;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.formats.Tarball;
import org.kmodkit.formats.deb.DebWriter;
import org.kmodkit.testkit.KoBuilder;
import org.kmodkit.testkit.TreeSnapshot;

/**
 * rebuild and add-kernel-support end to end through the real make, against a stand-in kernel
 * build directory whose Makefile "builds" by copying a module written by KoBuilder (no compiler,
 * no headers needed): everything but the C compiler is real — dkms.conf, plan, jobserver, logs,
 * check, signing, report, exit codes.
 */
class RebuildCliTest {
  static final String RELEASE = "6.1.0-99-test-amd64";
  static final String MAGIC = RELEASE + " SMP preempt mod_unload modversions ";
  static final long LAYOUT = 0x11110000L;
  static final long PRINTK = 0x92997ed8L;
  static final Path SIGN = Path.of("../kmodkit-formats/src/test/resources/sign").toAbsolutePath().normalize();

  @TempDir Path tmp;
  Path kernel;

  @BeforeEach
  void standInKernel() throws Exception {
    kernel = kernelDir(tmp.resolve("headers"), "sh (stand-in compiler)");
  }

  /** A kernel build directory: Makefile, Module.symvers, .config, release, and a modpost stub. */
  static Path kernelDir(Path k, String ccVersionText) throws Exception {
    Files.createDirectories(k.resolve("include/generated"));
    Files.createDirectories(k.resolve("scripts/mod"));
    Files.writeString(k.resolve("Makefile"), """
        modules:
        \t@if [ -f $(M)/broken ]; then echo "$(M)/broken.c:3:1: error: expected ';' before '}' token"; echo "make[2]: *** [broken.o] Error 1"; exit 2; fi
        \t@for f in $(M)/*.ko.in; do cp "$$f" "$${f%.in}"; done
        """);
    Files.writeString(k.resolve("Module.symvers"), "0x11110000\tmodule_layout\tvmlinux\tEXPORT_SYMBOL\t\n0x92997ed8\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n");
    Files.writeString(k.resolve(".config"), "CONFIG_X86_64=y\nCONFIG_SMP=y\nCONFIG_PREEMPT_BUILD=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODVERSIONS=y\nCONFIG_CC_VERSION_TEXT=\"" + ccVersionText + "\"\n");
    Files.writeString(k.resolve("include/generated/utsrelease.h"), "#define UTS_RELEASE \"" + RELEASE + "\"\n");
    Path modpost = k.resolve("scripts/mod/modpost");
    Files.writeString(modpost, "#!/bin/sh\n");
    Files.setPosixFilePermissions(modpost, PosixFilePermissions.fromString("rwxr-xr-x"));
    return k;
  }

  /** A DKMS tree whose build "makes" {@code name}.ko using _printk with {@code crc}. */
  Path dkmsTree(String name, long crc) throws Exception {
    Path d = Files.createDirectories(tmp.resolve("src").resolve(name + "-1.0"));
    Files.writeString(d.resolve("dkms.conf"), "PACKAGE_NAME=\"" + name + "\"\nPACKAGE_VERSION=\"1.0\"\nBUILT_MODULE_NAME[0]=\"" + name + "\"\nDEST_MODULE_LOCATION[0]=\"/extra\"\n"
        + "MAKE[0]=\"make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build\"\n");
    Files.write(d.resolve(name + ".ko.in"), KoBuilder.module(name).vermagic(MAGIC).version("module_layout", LAYOUT).uses("_printk", crc).build());
    return d;
  }

  Path kbuildTree(String name) throws Exception {
    Path d = Files.createDirectories(tmp.resolve("src").resolve(name + "-2.1"));
    Files.writeString(d.resolve("Kbuild"), "obj-m := " + name + ".o\n");
    Files.write(d.resolve(name + ".ko.in"), KoBuilder.module(name).vermagic(MAGIC).version("module_layout", LAYOUT).uses("_printk", PRINTK).build());
    return d;
  }

  CliTest.Run rebuild(String... extra) {
    String[] base = {"rebuild", "--kernel", kernel.toString(), "--out", tmp.resolve("out").toString(), "-j", "2"};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return CliTest.run(all);
  }

  @Test
  void aDkmsTreeAndAKbuildTreeAreRebuiltCheckedAndReportedAndTheWorkDirectoryGoes() throws Exception {
    CliTest.Run r = rebuild("--json", "-s", dkmsTree("vpoll", PRINTK).toString(), "-s", kbuildTree("hello").toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode j = r.json();
    assertThat(j.get("schema").asText()).isEqualTo("kmodkit.rebuild/1");
    assertThat(j.get("summary").get("built").asInt()).isEqualTo(2);
    JsonNode vpoll = j.get("builds").get(0);
    assertThat(vpoll.get("driver").asText()).isEqualTo("vpoll");
    assertThat(vpoll.get("status").asText()).isEqualTo("built");
    assertThat(vpoll.get("modules").get(0).get("install_path").asText()).isEqualTo("/lib/modules/" + RELEASE + "/extra/vpoll.ko");
    assertThat(vpoll.get("modules").get(0).get("check").get("loads").asBoolean()).isTrue();
    assertThat(j.get("drivers").get(0).get("dkms_conf_confinement").asText()).as("how dkms.conf was sourced").matches("bubblewrap|none: .*");
    assertThat(j.get("drivers").get(1).get("dkms_conf_confinement").isNull()).as("a Kbuild tree has no dkms.conf").isTrue();
    assertThat(j.get("builds").get(1).get("driver").asText()).isEqualTo("hello");
    assertThat(j.get("builds").get(1).get("version").asText()).isEqualTo("2.1");
    assertThat(tmp.resolve("out/" + RELEASE + "/extra/vpoll/vpoll.ko")).exists();
    assertThat(tmp.resolve("out/" + RELEASE + "/extra/hello/hello.ko")).exists();
    assertThat(tmp.resolve("out/logs/" + RELEASE + "/vpoll.log")).content().contains("# MAKE: make KERNELRELEASE=");
    assertThat(new ObjectMapper().readTree(tmp.resolve("out/report.json").toFile())).isEqualTo(j);
    assertThat(tmp.resolve("out/.work")).doesNotExist();
    assertThat(r.err()).contains("[1/2] start").contains("ok    vpoll-1.0 for " + RELEASE);
  }

  @Test
  void aFailedBuildPrintsItsFirstErrorLineAndLogTheOthersGoOnAndTheExitCodeIsOne() throws Exception {
    Path broken = dkmsTree("broken", PRINTK);
    Files.writeString(broken.resolve("broken"), "");
    CliTest.Run r = rebuild("-s", broken.toString(), "-s", dkmsTree("fine", PRINTK).toString());
    assertThat(r.code()).isEqualTo(1);
    Path log = tmp.resolve("out/logs/" + RELEASE + "/broken.log");
    assertThat(r.err()).contains("FAIL  broken-1.0 for " + RELEASE + " after ").contains(": MAKE exited with status 2")
        .contains("broken.c:3:1: error: expected ';' before '}' token").contains("log: " + log);
    assertThat(r.out()).contains("rebuilt 2 drivers for 1 kernel").contains(" on 2 job slots: 1 built, 1 failed").contains("build directory kept: ");
    assertThat(tmp.resolve("out/" + RELEASE + "/extra/fine/fine.ko")).exists();
    assertThat(tmp.resolve("out/" + RELEASE + "/extra/broken")).doesNotExist();
  }

  @Test
  void aRebuiltModuleThatCheckRejectsFailsTheRun() throws Exception {
    CliTest.Run r = rebuild("--json", "-s", dkmsTree("stale", 0x0badf00dL).toString());
    assertThat(r.code()).isEqualTo(1);
    JsonNode b = r.json().get("builds").get(0);
    assertThat(b.get("status").asText()).isEqualTo("failed");
    assertThat(b.get("reason").asText()).startsWith("check rejects the module it built: stale: ");
    assertThat(b.get("modules").get(0).get("check").get("problems").get(0).get("message").asText()).isEqualTo("stale: disagrees about version of symbol _printk");
  }

  @Test
  void signedModulesCarryTheGivenSignerAndKeyId() throws Exception {
    CliTest.Run r = rebuild("-s", dkmsTree("signed", PRINTK).toString(), "--module-key", SIGN.resolve("test-signing-key.pem").toString(), "--module-cert", SIGN.resolve("test-signing-cert.pem").toString(), "--sign-hash", "sha512");
    assertThat(r.code()).as(r.err()).isZero();
    var sig = ModuleReader.read(tmp.resolve("out/" + RELEASE + "/extra/signed/signed.ko")).signature().orElseThrow();
    assertThat(sig.signer()).isEqualTo("kmodkit test module signing key");
    assertThat(sig.hashAlgorithm()).isEqualTo("sha512");
    CliTest.Run inspect = CliTest.run("inspect", "--brief", tmp.resolve("out/" + RELEASE + "/extra/signed/signed.ko").toString());
    assertThat(inspect.out()).contains("kmodkit test module signing key");
  }

  @Test
  void aMissingCompilerIsAnEnvironmentErrorNamingThePackage() throws Exception {
    kernel = kernelDir(tmp.resolve("headers-gcc"), "gcc-99 (Debian 99.1.0-1) 99.1.0");
    CliTest.Run r = rebuild("-s", dkmsTree("x", PRINTK).toString());
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("gcc-99 is not installed (not on PATH): kernel " + RELEASE + " was built with gcc-99 (Debian 99.1.0-1) 99.1.0")
        .contains("apt-get install gcc-99 (Debian package gcc-99; linux-compiler-gcc-99-x86 depends on it)");
  }

  @Test
  void headersWithoutTheirKbuildToolsNameThePackageToInstall() throws Exception {
    Files.delete(kernel.resolve("scripts/mod/modpost"));
    CliTest.Run r = rebuild("-s", dkmsTree("x", PRINTK).toString());
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("scripts/mod/modpost is missing: kernel " + RELEASE + "'s build directory lacks its build tools; install ");
  }

  @Test
  void aDkmsConfDkmsRefusesIsBadInputNamingFileInDkmsWords() throws Exception {
    Path d = dkmsTree("bad", PRINTK);
    Files.writeString(d.resolve("dkms.conf"), "PACKAGE_NAME=bad\nPACKAGE_VERSION=$(echo 1)\nBUILT_MODULE_NAME[0]=bad.ko\nDEST_MODULE_LOCATION[0]=/extra\n");
    CliTest.Run r = rebuild("-s", d.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains(d.resolve("dkms.conf") + ": dkms.conf: Error! 'BUILT_MODULE_NAME' or 'DEST_MODULE_NAME' directive ends in '.o' or '.ko' in record #0");
  }

  @Test
  void aDryRunPrintsThePlanAndBuildsNothing() throws Exception {
    CliTest.Run r = rebuild("--dry-run", "-s", dkmsTree("plan", PRINTK).toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("kernel " + RELEASE + " (x86_64, sh): make -C " + kernel)
        .contains("MAKE: make KERNELRELEASE='" + RELEASE + "' -C " + kernel)
        .contains("module plan.ko -> " + tmp.resolve("out/" + RELEASE + "/extra/plan/plan.ko") + " (DKMS installs it as /lib/modules/" + RELEASE + "/extra/plan.ko)");
    assertThat(tmp.resolve("out")).doesNotExist();
    // the same plan for scripts (it printed the text plan under --json)
    CliTest.Run j = rebuild("--dry-run", "--json", "-s", dkmsTree("plan", PRINTK).toString());
    assertThat(j.code()).isZero();
    com.fasterxml.jackson.databind.JsonNode build = new com.fasterxml.jackson.databind.ObjectMapper().readTree(j.out()).get("builds").get(0);
    assertThat(build.get("status").asText()).isEqualTo("planned");
    assertThat(build.get("steps").get(0).get("name").asText()).isEqualTo("MAKE");
    assertThat(build.get("steps").get(0).get("command").asText()).startsWith("make KERNELRELEASE='" + RELEASE + "' -C " + kernel);
    assertThat(build.get("modules").get(0).get("file").asText()).isEqualTo(tmp.resolve("out/" + RELEASE + "/extra/plan/plan.ko").toString());
    assertThat(build.get("modules").get(0).get("install_path").asText()).isEqualTo("/lib/modules/" + RELEASE + "/extra/plan.ko");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void aDryRunOfATarballAgainstHeadersWhoseMakefileIsALinkWritesNothingOutsideTheCache() throws Exception {
    // Debian's one-line Makefile, here a link, including a -common part that lies beside the tree
    Files.move(kernel.resolve("Makefile"), Files.createDirectories(tmp.resolve("linux-headers-6.1.0-99-common")).resolve("Makefile"));
    Files.writeString(kernel.resolve("Makefile.debian"), "include /usr/src/linux-headers-6.1.0-99-common/Makefile\n");
    Files.createSymbolicLink(kernel.resolve("Makefile"), Path.of("Makefile.debian"));
    Path src = kbuildTree("hello");
    Path tgz = tmp.resolve("hello-2.1.tgz");
    Process tar = new ProcessBuilder("tar", "-czf", tgz.toString(), "-C", src.getParent().toString(), src.getFileName().toString()).inheritIO().start();
    assertThat(tar.waitFor()).isZero();
    var before = TreeSnapshot.of(tmp.resolve("headers"));
    CliTest.Run r = rebuild("--dry-run", "-s", tgz.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("make -C ");
    assertThat(TreeSnapshot.of(tmp.resolve("headers"))).as("the user's headers tree").isEqualTo(before);
    assertThat(tmp.resolve("out")).as("a dry run writes nothing outside the cache").doesNotExist();
  }

  @Test
  void addKernelSupportRebuildsABundleIntoItsExtDirectoryAndRefusesToOverwriteWithoutYes() throws Exception {
    Path bundle = Files.createDirectories(tmp.resolve("bundle"));
    Files.writeString(bundle.resolve("kmodkit-bundle.conf"), "# a test bundle\nname=acme-nic\nversion=5.2-1\ndistro=debian12\ndrivers=drv\n");
    Path src = dkmsTree("acme", PRINTK);
    Files.move(src, bundle.resolve("drv"));
    String[] args = {"add-kernel-support", "--bundle", bundle.toString(), "--kernel", kernel.toString(), "--tmpdir", tmp.resolve("t").toString(), "--kmp"};
    CliTest.Run r = CliTest.run(args);
    assertThat(r.code()).as(r.err()).isZero();
    Path ext = tmp.resolve("t/acme-nic-5.2-1-debian12-x86_64-ext");
    assertThat(r.out()).contains("bundle acme-nic 5.2-1 for " + RELEASE + ": " + ext);
    assertThat(r.err()).contains("no --pgp-key: packages and repository signed with a one-time key");
    assertThat(ext.resolve(RELEASE + "/extra/acme/acme.ko")).exists();
    // distro debian12: Debian packages, the KMP for the one kernel and kernel-only, in a signed APT repository
    assertThat(ext.resolve("DEBS/acme-nic-modules_5.2-1_amd64.deb")).exists();
    assertThat(ext.resolve("DEBS/acme-nic-kernel-only_5.2-1_amd64.deb")).exists();
    assertThat(ext.resolve("DEBS/dists/kmodkit/InRelease")).exists();
    assertThat(ext.resolve("install-kernel-only.sh")).content().contains("apt-get install -y acme-nic-kernel-only");
    assertThat(ext.resolve(".supported_kernels")).hasContent(RELEASE);
    assertThat(ext.resolve("kmodkit-bundle.conf")).content().contains("name=acme-nic").endsWith("kernels=" + RELEASE + "\n");
    assertThat(new ObjectMapper().readTree(ext.resolve("report.json").toFile()).get("ext_dir").asText()).isEqualTo(ext.toString());
    CliTest.Run again = CliTest.run(args);
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains(ext + ": exists already; pass -y to replace it");
    String[] withYes = java.util.Arrays.copyOf(args, args.length + 1);
    withYes[args.length] = "-y";
    assertThat(CliTest.run(withYes).code()).isZero();
  }

  @Test
  void addKernelSupportWithSkipRepoMakesPackagesOnlyAndMakeTgzPacksTheExtDirectory() throws Exception {
    Path bundle = Files.createDirectories(tmp.resolve("bundle"));
    Files.writeString(bundle.resolve("kmodkit-bundle.conf"), "name=acme-nic\nversion=5.2-1\ndistro=rhel9.4\ndrivers=drv\n");
    Files.move(dkmsTree("acme", PRINTK), bundle.resolve("drv"));
    CliTest.Run r = CliTest.run("add-kernel-support", "--bundle", bundle.toString(), "--kernel", kernel.toString(), "--tmpdir", tmp.resolve("t").toString(), "--skip-repo", "--make-tgz");
    assertThat(r.code()).as(r.err()).isZero();
    Path ext = tmp.resolve("t/acme-nic-5.2-1-rhel9.4-x86_64-ext");
    assertThat(ext.resolve("RPMS/kmod-acme-nic-" + RELEASE + "-5.2-1.x86_64.rpm")).exists();
    assertThat(ext.resolve("RPMS/acme-nic-kernel-only-5.2-1.x86_64.rpm")).exists();
    assertThat(ext.resolve("RPMS/repodata")).doesNotExist();
    assertThat(ext.resolve("install-kernel-only.sh")).doesNotExist();
    assertThat(r.out()).contains("bundle " + tmp.resolve("t/acme-nic-5.2-1-rhel9.4-x86_64-ext.tgz"));
    assertThat(tmp.resolve("t/acme-nic-5.2-1-rhel9.4-x86_64-ext.tgz")).isNotEmptyFile();
  }

  /** {@code name}-dkms_1.0-1_all.deb holding the DKMS tree {@link #dkmsTree} makes, under /usr/src/{@code name}-1.0. */
  Path dkmsDeb(Path dir, String name) throws Exception {
    Path tree = dkmsTree(name, PRINTK);
    List<PayloadFile> files = new java.util.ArrayList<>();
    try (var s = Files.list(tree)) {
      for (Path f : s.sorted().toList()) {
        files.add(new PayloadFile("/usr/src/" + name + "-1.0/" + f.getFileName(), 0644, f));
      }
    }
    PackageSpec spec = new PackageSpec(name + "-dkms", "1.0", "1", "noarch", name, name, "GPL-2.0-only", "Acme", "https://acme.example", 1_700_000_000L, files, List.of(), List.of(), List.of(), Scriptlets.NONE);
    return new DebWriter().write(spec, Files.createDirectories(dir), null);
  }

  @Test
  void addKernelSupportSearchesAVendorBundleWithoutManifestAndNamesWhatItFoundAndSkipped() throws Exception {
    Path bundle = Files.createDirectories(tmp.resolve("ACME_NIC-5.2-1-debian12-x86_64"));
    dkmsDeb(bundle.resolve("DEBS"), "acme");
    Files.writeString(bundle.resolve("DEBS/acme-utils_5.2-1_amd64.deb"), "!<arch>\n");
    Path srcTree = dkmsTree("xpmem", PRINTK);
    Files.createDirectories(bundle.resolve("src"));
    Tarball.write(srcTree, bundle.resolve("src/xpmem-1.0.tgz"), java.util.Set.of());
    Files.createDirectories(bundle.resolve("docs"));
    Files.writeString(bundle.resolve("docs/manual.pdf"), "%PDF\n");
    CliTest.Run r = CliTest.run("add-kernel-support", "--bundle", bundle.toString(), "--kernel", kernel.toString(), "--tmpdir", tmp.resolve("t").toString(), "--skip-repo");
    assertThat(r.code()).as(r.err()).isZero();
    Path ext = tmp.resolve("t/ACME_NIC-5.2-1-debian12-x86_64-ext");
    assertThat(r.out()).contains("found   DEBS/acme-dkms_1.0-1_all.deb: *-dkms .deb (driver acme)\n")
        .contains("found   src/xpmem-1.0.tgz!/xpmem-1.0/: tarball of a driver tree (driver xpmem)\n")
        .contains("skipped DEBS/acme-utils_5.2-1_amd64.deb: binary package (not *-dkms): nothing to rebuild\n")
        .contains("skipped docs/: no driver source in it (1 file: documents, scripts, data)\n")
        .contains("bundle ACME_NIC 5.2-1 for " + RELEASE + ": " + ext);
    assertThat(ext.resolve(RELEASE + "/extra/acme/acme.ko")).exists();
    assertThat(ext.resolve(RELEASE + "/extra/xpmem/xpmem.ko")).exists();
    // the bundle's name as Debian allows package names
    assertThat(ext.resolve("DEBS/acme-nic-kernel-only_5.2-1_amd64.deb")).exists();
    var report = new ObjectMapper().readTree(ext.resolve("report.json").toFile());
    assertThat(report.get("bundle_found")).extracting(f -> f.get("where").asText() + " " + f.get("kind").asText() + " " + f.get("driver").asText())
        .containsExactly("DEBS/acme-dkms_1.0-1_all.deb dkms-deb acme", "src/xpmem-1.0.tgz!/xpmem-1.0/ tarball xpmem");
    assertThat(report.get("bundle_skipped")).extracting(f -> f.get("where").asText()).containsExactly("DEBS/acme-utils_5.2-1_amd64.deb", "docs/");
  }

  /** -j 1 is one job slot (it read "1 job slots"). */
  @Test
  void jobSlotsAreCountedInWords() {
    assertThat(RebuildOutput.jobSlots(1)).isEqualTo("1 job slot");
    assertThat(RebuildOutput.jobSlots(2)).isEqualTo("2 job slots");
  }
}
