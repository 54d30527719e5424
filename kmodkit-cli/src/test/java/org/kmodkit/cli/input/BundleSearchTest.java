package org.kmodkit.cli.input;

import org.kmodkit.testkit.ArchivesForTests;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.io.ExpansionLimit;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.formats.rpm.RpmWriter;
import org.kmodkit.formats.rpm.SrpmForTests;

/** Vendor bundles without a manifest, laid out as MLNX_OFED ships them, built here; hostile ones too, one per rule. */
class BundleSearchTest {
  static final String MLNX = "MLNX_OFED_LINUX-5.8-1.0.1.1-debian12.1-x86_64";
  static final String KMOD_SPEC = "%{!?KVERSION: %global KVERSION %(uname -r)}\nName: NAME\nVersion: 1\n%build\nmake -C %{K_SRC} M=$PWD modules\n";

  @TempDir Path tmp;

  static Path dkmsDeb(Path dir, String name, String version) throws Exception {
    Files.createDirectories(dir);
    return new ArchivesForTests().control("Package: " + name + "-dkms\nVersion: " + version + "\nArchitecture: all\n")
        .file("./usr/src/" + name + "-" + version + "/dkms.conf", "PACKAGE_NAME=" + name + "\nPACKAGE_VERSION=" + version + "\nBUILT_MODULE_NAME[0]=" + name + "\nDEST_MODULE_LOCATION[0]=/extra\n")
        .file("./usr/src/" + name + "-" + version + "/Kbuild", "obj-m := " + name + ".o\n")
        .file("./usr/share/doc/" + name + "-dkms/copyright", "GPL\n")
        .writeDeb(dir.resolve(name + "-dkms_" + version + "_all.deb"));
  }

  static Path binaryDeb(Path dir, String name) throws Exception {
    Files.createDirectories(dir);
    return new ArchivesForTests().control("Package: " + name + "\nVersion: 1\nArchitecture: amd64\n").file("./usr/bin/" + name, "#!/bin/sh\n").writeDeb(dir.resolve(name + "_1_amd64.deb"));
  }

  static Path srpm(Path dir, String name, String spec) throws Exception {
    Files.createDirectories(dir);
    return new SrpmForTests().file(name + ".spec", spec.replace("NAME", name)).file(name + "-1.tar.gz", "not read").write(dir, name, "1");
  }

  static Path binaryRpm(Path dir, String name) throws Exception {
    Files.createDirectories(dir);
    Path ko = Files.writeString(Files.createDirectories(dir.resolve(".src")).resolve(name + ".ko"), "\177ELF fake\n");
    PackageSpec spec = new PackageSpec(name, "4.1", "1", "x86_64", name, name, "GPL-2.0-only", "Acme", "https://acme.example", 1_700_000_000L,
        List.of(new PayloadFile("/lib/modules/5.14.0/extra/" + name + ".ko", 0644, ko)), List.of(), List.of(), List.of(), Scriptlets.NONE);
    Path rpm = new RpmWriter().write(spec, dir, null);
    org.kmodkit.core.build.BuildRunner.deleteTree(dir.resolve(".src"));
    return rpm;
  }

  /** MLNX_OFED's layout: DEBS/, RPMS/, SRPMS/, docs/, src/MLNX_OFED_SRC-….tgz holding SRPMS/, DEBS/ and SOURCES/. */
  Path mlnxBundle() throws Exception {
    Path b = Files.createDirectories(tmp.resolve(MLNX));
    dkmsDeb(b.resolve("DEBS"), "knem", "1.1.4");
    binaryDeb(b.resolve("DEBS"), "mlnx-tools");
    binaryRpm(b.resolve("RPMS"), "kernel-mft");
    srpm(b.resolve("SRPMS"), "iser", KMOD_SPEC);
    srpm(b.resolve("SRPMS"), "rdma-core", "Name: rdma-core\n%build\n./configure && make\n");
    Files.createDirectories(b.resolve("docs"));
    Files.writeString(b.resolve("docs/README.txt"), "read me\n");
    Files.writeString(b.resolve("docs/release_notes.pdf"), "%PDF-1.4\n");
    Files.writeString(b.resolve("mlnxofedinstall"), "#!/usr/bin/perl\n");
    Path srcParts = Files.createDirectories(tmp.resolve("parts"));
    Path knemSrpm = srpm(srcParts, "knem", KMOD_SPEC);
    Path srpDeb = dkmsDeb(srcParts, "srp", "5.8");
    byte[] xpmem = new ArchivesForTests().file("xpmem-2.6/Makefile", "obj-m += xpmem.o\n").file("xpmem-2.6/xpmem.c", "int x;\n").tarBytes();
    Files.createDirectories(b.resolve("src"));
    new ArchivesForTests().file("MLNX_OFED_SRC-5.8/SRPMS/knem-1-1.src.rpm", Files.readAllBytes(knemSrpm))
        .file("MLNX_OFED_SRC-5.8/DEBS/srp-dkms_5.8_all.deb", Files.readAllBytes(srpDeb))
        .file("MLNX_OFED_SRC-5.8/SOURCES/xpmem_2.6.orig.tar.gz", ArchivesForTests.gzip(xpmem))
        .file("MLNX_OFED_SRC-5.8/install.pl", "#!/usr/bin/perl\n")
        .writeTgz(b.resolve("src/MLNX_OFED_SRC-5.8.tgz"));
    return b;
  }

  static Map<String, String> found(Bundle b) {
    return b.search().found().stream().collect(Collectors.toMap(BundleSearch.Found::where, f -> f.kind() + " " + f.driver()));
  }

  static Map<String, String> skipped(Bundle b) {
    return b.search().skipped().stream().collect(Collectors.toMap(BundleSearch.Skipped::where, BundleSearch.Skipped::why));
  }

  @Test
  void anMlnxLikeBundleWithoutManifestYieldsItsDkmsDebsKernelSrpmsAndDriverTarballsAndNamesTheRest() throws Exception {
    Bundle b = Bundle.open(mlnxBundle().toString(), tmp.resolve("w"));
    assertThat(b.name()).isEqualTo("MLNX_OFED_LINUX");
    assertThat(b.version()).isEqualTo("5.8-1.0.1.1");
    assertThat(b.distro()).hasValue("debian12.1");
    assertThat(b.arch()).hasValue("x86_64");
    assertThat(b.extName(b.distro().get(), b.arch().get())).isEqualTo(MLNX + "-ext");
    assertThat(found(b)).containsExactlyInAnyOrderEntriesOf(Map.of(
        "DEBS/knem-dkms_1.1.4_all.deb", "*-dkms .deb knem",
        "SRPMS/iser-1-1.src.rpm", "kernel-module source RPM iser",
        "src/MLNX_OFED_SRC-5.8.tgz!/MLNX_OFED_SRC-5.8/DEBS/srp-dkms_5.8_all.deb", "*-dkms .deb srp",
        "src/MLNX_OFED_SRC-5.8.tgz!/MLNX_OFED_SRC-5.8/SOURCES/xpmem_2.6.orig.tar.gz!/xpmem-2.6/", "tarball of a driver tree xpmem"));
    assertThat(b.drivers()).hasSize(4).allSatisfy(p -> assertThat(p).exists());
    assertThat(b.drivers()).contains(tmp.resolve(MLNX + "/DEBS/knem-dkms_1.1.4_all.deb"));
    Map<String, String> skipped = skipped(b);
    assertThat(skipped).containsEntry("DEBS/mlnx-tools_1_amd64.deb", "binary package (not *-dkms): nothing to rebuild")
        .containsEntry("RPMS/kernel-mft-4.1-1.x86_64.rpm", "binary RPM (built from kernel-mft-4.1-1.src.rpm): its source RPM is what is rebuilt")
        .containsEntry("SRPMS/rdma-core-1-1.src.rpm", "source RPM of no kernel module: its spec takes the kernel in none of KVERSION, K_SRC (MLNX), kmodtool, %kernel_module_package")
        .containsEntry("docs/", "no driver source in it (2 files: documents, scripts, data)")
        .containsEntry("./", "1 other file (documents, scripts, data): no package, archive or DKMS tree")
        .containsEntry("src/MLNX_OFED_SRC-5.8.tgz!/MLNX_OFED_SRC-5.8/", "1 other file (documents, scripts, data): no package, archive or DKMS tree");
    assertThat(skipped.get("src/MLNX_OFED_SRC-5.8.tgz!/MLNX_OFED_SRC-5.8/SRPMS/knem-1-1.src.rpm"))
        .startsWith("the same driver 'knem' as DEBS/knem-dkms_1.1.4_all.deb (*-dkms .deb), which is preferred");
    assertThat(skipped).hasSize(7);
  }

  @Test
  void aDkmsDebAndItsSrpmGiveOneDriverTheDebByTheRuleWhereverEachLies() throws Exception {
    Path b = Files.createDirectories(tmp.resolve("acme-2.0"));
    srpm(b.resolve("A-SRPMS"), "kmod-vpoll", KMOD_SPEC); // first in the walk, still not preferred
    dkmsDeb(b.resolve("Z-DEBS"), "vpoll", "0.1");
    Bundle bundle = Bundle.open(b.toString(), tmp.resolve("w"));
    assertThat(found(bundle)).containsOnlyKeys("Z-DEBS/vpoll-dkms_0.1_all.deb");
    assertThat(skipped(bundle).get("A-SRPMS/kmod-vpoll-1-1.src.rpm")).startsWith("the same driver 'vpoll' as Z-DEBS/vpoll-dkms_0.1_all.deb");
    assertThat(bundle.name() + " " + bundle.version()).isEqualTo("acme 2.0");
    assertThat(bundle.distro()).isEmpty();
  }

  @Test
  void aTarballedBundleIsNamedAfterItsTopDirectory() throws Exception {
    Path deb = dkmsDeb(tmp.resolve("parts"), "vpoll", "0.1");
    Path tgz = new ArchivesForTests().file(MLNX + "/DEBS/vpoll-dkms_0.1_all.deb", Files.readAllBytes(deb)).writeTgz(tmp.resolve("bundle.tgz"));
    Bundle b = Bundle.open(tgz.toString(), tmp.resolve("w"));
    assertThat(b.name()).isEqualTo("MLNX_OFED_LINUX");
    assertThat(found(b)).containsOnlyKeys("DEBS/vpoll-dkms_0.1_all.deb");
  }

  @Test
  void aLinkInTheBundleIsNamedAndNotFollowedEvenToADkmsTree() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("elsewhere/evil-1.0"));
    Files.writeString(outside.resolve("dkms.conf"), "PACKAGE_NAME=evil\n");
    Path b = Files.createDirectories(tmp.resolve("acme-2.0"));
    dkmsDeb(b.resolve("DEBS"), "vpoll", "0.1");
    Files.createSymbolicLink(b.resolve("evil"), outside);
    Bundle bundle = Bundle.open(b.toString(), tmp.resolve("w"));
    assertThat(found(bundle)).containsOnlyKeys("DEBS/vpoll-dkms_0.1_all.deb");
    assertThat(skipped(bundle)).containsEntry("evil", "is a link: not followed (a bundle's sources are taken where they lie)");
  }

  @Test
  void aNestedTarballWithALinkLeadingOutRefusesTheWholeBundle() throws Exception {
    Path b = Files.createDirectories(tmp.resolve("acme-2.0/src"));
    new ArchivesForTests().symlink("x/escape", "../../../../etc").file("x/Kbuild", "obj-m := x.o\n").writeTgz(b.resolve("x.tgz"));
    assertThatThrownBy(() -> Bundle.open(tmp.resolve("acme-2.0").toString(), tmp.resolve("w")))
        .hasMessageContaining("x.tgz: entry 'x/escape' is a link leading out of the directory (../../../../etc): refusing the whole archive");
  }

  @Test
  void aNestedTarballBombIsRefusedAtTheExpansionLimit() throws Exception {
    Path b = Files.createDirectories(tmp.resolve("acme-2.0/src"));
    Files.write(b.resolve("bomb.tar.gz"), ArchivesForTests.gzip(new ArchivesForTests().file("zeros", new byte[4 << 20]).tarBytes()));
    ExpansionLimit small = new ExpansionLimit(1 << 20, "more than this test allows");
    assertThatThrownBy(() -> Bundle.open(tmp.resolve("acme-2.0").toString(), tmp.resolve("w"), new BundleSearch.Bounds(12, 1000, 2, small)))
        .hasMessageContaining("bomb.tar.gz: expands beyond 1 MiB, more than this test allows; refusing it as corrupt or hostile");
  }

  @Test
  void theBundlesTarballsShareOneExpansionLimitNotOneEach() throws Exception {
    Path b = Files.createDirectories(tmp.resolve("acme-2.0/src"));
    for (String part : List.of("a", "b")) {
      Files.write(b.resolve(part + ".tar.gz"), ArchivesForTests.gzip(new ArchivesForTests().file(part + "/zeros", new byte[600 << 10]).tarBytes()));
    }
    ExpansionLimit small = new ExpansionLimit(1 << 20, "more than this test allows");
    assertThatThrownBy(() -> Bundle.open(tmp.resolve("acme-2.0").toString(), tmp.resolve("w"), new BundleSearch.Bounds(12, 1000, 2, small)))
        .hasMessageContaining("src/b.tar.gz: expands beyond")
        .hasMessageContaining("what is left of the 1 MiB all of a bundle's tarballs may unpack together (more than this test allows); refusing it as corrupt or hostile");
  }

  @Test
  void tarballsAreOpenedOnlyTwoDeepTheThirdIsNamed() throws Exception {
    byte[] level3 = ArchivesForTests.gzip(new ArchivesForTests().file("deep-1.0/Kbuild", "obj-m := deep.o\n").tarBytes());
    byte[] level2 = ArchivesForTests.gzip(new ArchivesForTests().file("l2/deep-1.0.tgz", level3).tarBytes());
    Path b = Files.createDirectories(tmp.resolve("acme-2.0"));
    new ArchivesForTests().file("l1/l2.tgz", level2).writeTgz(b.resolve("l1.tgz"));
    dkmsDeb(b.resolve("DEBS"), "vpoll", "0.1");
    Bundle bundle = Bundle.open(b.toString(), tmp.resolve("w"));
    assertThat(skipped(bundle)).containsEntry("l1.tgz!/l1/l2.tgz!/l2/deep-1.0.tgz", "a tarball inside 2 tarballs: not opened (a bundle's tarballs are opened 2 deep)");
    assertThat(found(bundle)).containsOnlyKeys("DEBS/vpoll-dkms_0.1_all.deb");
  }

  @Test
  void directoriesBeyondTheDepthBoundAreNamedNotSearched() throws Exception {
    Path b = Files.createDirectories(tmp.resolve("acme-2.0"));
    dkmsDeb(b.resolve("DEBS"), "vpoll", "0.1");
    dkmsDeb(b.resolve("a/b/c/d"), "deep", "1");
    Bundle bundle = Bundle.open(b.toString(), tmp.resolve("w"), new BundleSearch.Bounds(2, 1000, 2, ExpansionLimit.ARCHIVE));
    assertThat(found(bundle)).containsOnlyKeys("DEBS/vpoll-dkms_0.1_all.deb");
    assertThat(skipped(bundle)).containsEntry("a/b/c/", "lies deeper than 2 directories: not searched (name its drivers in kmodkit-bundle.conf)");
  }

  @Test
  void aBundleOfMoreEntriesThanTheBoundIsRefused() throws Exception {
    Path b = Files.createDirectories(tmp.resolve("acme-2.0/docs"));
    for (int i = 0; i < 30; i++) {
      Files.writeString(b.resolve("page" + i + ".html"), "x");
    }
    assertThatThrownBy(() -> Bundle.open(tmp.resolve("acme-2.0").toString(), tmp.resolve("w"), new BundleSearch.Bounds(12, 20, 2, ExpansionLimit.ARCHIVE)))
        .hasMessageStartingWith(tmp.resolve("acme-2.0") + ": holds more than 20 files and directories outside its DKMS trees and packages");
  }

  @Test
  void aNameWithAControlCharacterIsShownOnOneLine() throws Exception {
    Path b = Files.createDirectories(tmp.resolve("acme-2.0"));
    Path deb = dkmsDeb(tmp.resolve("parts"), "vpoll", "0.1");
    Files.copy(deb, Files.createDirectories(b.resolve("DE\nBS")).resolve("vpoll-dkms_0.1_all.deb"));
    Bundle bundle = Bundle.open(b.toString(), tmp.resolve("w"));
    assertThat(found(bundle)).containsOnlyKeys("DE?BS/vpoll-dkms_0.1_all.deb");
  }

  @Test
  void aHostilePackageInsideANestedTarballIsNamedWhereItLiesInTheBundle() throws Exception {
    byte[] evil = Files.readAllBytes(new ArchivesForTests().file("./usr/src/evil-1/../../../etc/dkms.conf", "x").writeDeb(tmp.resolve("evil-dkms_1_all.deb")));
    Path tgz = new ArchivesForTests().file("B-1.0/src/MLNX_OFED_SRC-1.0/DEBS/evil-dkms_1_all.deb", evil).writeTgz(tmp.resolve("B-1.0.tgz"));
    assertThatThrownBy(() -> Bundle.open(tgz.toString(), tmp.resolve("w")))
        .hasMessageStartingWith(tgz + "!/B-1.0/src/MLNX_OFED_SRC-1.0/DEBS/evil-dkms_1_all.deb: has an entry escaping the install root");
  }

  @Test
  void aDkmsDebEscapingItsRootRefusesTheBundle() throws Exception {
    Path b = Files.createDirectories(tmp.resolve("acme-2.0/DEBS"));
    new ArchivesForTests().file("./usr/src/evil-1/../../../etc/dkms.conf", "x").writeDeb(b.resolve("evil-dkms_1_all.deb"));
    assertThatThrownBy(() -> Bundle.open(tmp.resolve("acme-2.0").toString(), tmp.resolve("w"))).hasMessageContaining("has an entry escaping the install root");
  }

  @Test
  void aDkmsNamedDebWithoutDkmsConfAndASrpmWithoutSpecAreNamedSkipped() throws Exception {
    Path b = Files.createDirectories(tmp.resolve("acme-2.0/DEBS"));
    dkmsDeb(b, "vpoll", "0.1");
    new ArchivesForTests().file("./usr/share/doc/x/copyright", "x").writeDeb(b.resolve("fake-dkms_1_all.deb"));
    new SrpmForTests().file("x.tar.gz", "x").write(b, "nospec", "1");
    Map<String, String> skipped = skipped(Bundle.open(tmp.resolve("acme-2.0").toString(), tmp.resolve("w")));
    assertThat(skipped).containsEntry("DEBS/fake-dkms_1_all.deb", "named *-dkms but holds no /usr/src/<name>-<version>/dkms.conf: nothing to rebuild")
        .containsEntry("DEBS/nospec-1-1.src.rpm", "source RPM without a .spec: nothing rpmbuild can rebuild");
  }

  @Test
  void aBundleWithoutDriversOrWithoutAVersionedNameIsRefusedWithTheNextStep() throws Exception {
    Path none = Files.createDirectories(tmp.resolve("acme-2.0/RPMS"));
    binaryRpm(none, "kmod-acme");
    assertThatThrownBy(() -> Bundle.open(tmp.resolve("acme-2.0").toString(), tmp.resolve("w")))
        .hasMessage(tmp.resolve("acme-2.0") + ": has no kmodkit-bundle.conf, is no DKMS tree and holds no driver source (no DKMS tree, *-dkms .deb, kernel-module .src.rpm or tarball of one; 1 thing skipped, see docs/bundles.md); add a manifest naming its drivers (docs/commands.md)");
    Path unnamed = Files.createDirectories(tmp.resolve("drivers"));
    dkmsDeb(unnamed, "vpoll", "0.1");
    assertThatThrownBy(() -> Bundle.open(unnamed.toString(), tmp.resolve("w2"))).hasMessageContaining("its name 'drivers' is not NAME-VERSION[-DISTRO-ARCH]");
  }

  @Test
  void driverNamesDropVersionsAndPackagingWords() {
    assertThat(List.of("vpoll-0.1", "kmod-knem", "knem-dkms", "hello-kmod", "Mlnx_Tools-5.8.tar.gz", "xpmem"))
        .extracting(BundleSearch::driver).containsExactly("vpoll", "knem", "knem", "hello", "mlnx-tools", "xpmem");
  }
}
