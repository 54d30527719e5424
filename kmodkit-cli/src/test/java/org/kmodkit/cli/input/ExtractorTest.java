package org.kmodkit.cli.input;

import org.kmodkit.formats.Extractor;
import org.kmodkit.testkit.ArchivesForTests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.DriverSource;
import org.kmodkit.core.cache.Cache;

class ExtractorTest {
  @TempDir Path tmp;

  Path work() {
    return tmp.resolve("work");
  }

  void assertRefused(ArchivesForTests archive, String why) throws Exception {
    Path tgz = archive.writeTgz(tmp.resolve("evil.tar.gz"));
    assertThatThrownBy(() -> DriverInputs.source(tgz.toString(), work()))
        .isInstanceOf(BadInputException.class).hasMessageContaining(why).hasMessageContaining("refusing the whole archive");
    assertThat(tmp.resolve("escaped")).as("nothing written outside the work directory").doesNotExist();
    assertThat(work().resolve("sources")).as("nothing left behind").satisfiesAnyOf(k -> assertThat(k).doesNotExist(), k -> assertThat(k).isEmptyDirectory());
  }

  @Test
  void aTarballOfASourceDirectoryBecomesADriverNamedAfterItsTopDirectory() throws Exception {
    Path tgz = new ArchivesForTests().dir("hello-1.2").file("hello-1.2/Kbuild", "obj-m := hello.o\n").file("hello-1.2/hello.c", "int x;\n")
        .symlink("hello-1.2/same.c", "hello.c").writeTgz(tmp.resolve("hello.tgz"));
    DriverSource d = DriverInputs.source(tgz.toString(), work());
    assertThat(d).isInstanceOf(DriverSource.Kbuild.class);
    assertThat(d.name()).isEqualTo("hello");
    assertThat(d.version()).isEqualTo("1.2");
    assertThat(d.dir().resolve("hello.c")).hasContent("int x;");
    assertThat(Files.readSymbolicLink(d.dir().resolve("same.c"))).isEqualTo(Path.of("hello.c"));
    assertThat(d.dir()).startsWith(work());
  }

  @Test
  void dotDotEntriesThatLeaveTheDirectoryAreRefused() throws Exception {
    assertRefused(new ArchivesForTests().file("src/Kbuild", "x").file("src/../../escaped", "gotcha"), "leads out of the directory");
  }

  @Test
  void absoluteEntriesAreRefused() throws Exception {
    assertRefused(new ArchivesForTests().file("src/Kbuild", "x").file(tmp.resolve("escaped").toString(), "gotcha"), "is an absolute path");
  }

  @Test
  void linksLeavingTheDirectoryAreRefused() throws Exception {
    assertRefused(new ArchivesForTests().symlink("src/out", "../../../escaped"), "is a link leading out of the directory");
    assertRefused(new ArchivesForTests().symlink("src/out", tmp.resolve("escaped").toString()), "is a link to the absolute path");
  }

  @Test
  void hardLinksMustPointAtAFileUnpackedBefore() throws Exception {
    assertRefused(new ArchivesForTests().hardlink("src/x", "../escaped"), "is a hard link to ../escaped");
    assertRefused(new ArchivesForTests().hardlink("src/x", "src/later"), "no file unpacked before it");
  }

  @Test
  void aDkmsDebianPackageIsUnpackedAndItsDkmsConfRead() throws Exception {
    Path deb = new ArchivesForTests()
        .file("./usr/src/vpoll-0.1/dkms.conf", "PACKAGE_NAME=\"vpoll\"\nPACKAGE_VERSION=\"0.1\"\nBUILT_MODULE_NAME[0]=\"$PACKAGE_NAME\"\nDEST_MODULE_LOCATION[0]=\"/extra\"\n")
        .file("./usr/src/vpoll-0.1/vpoll.c", "int x;\n")
        .file("./usr/share/doc/vpoll-dkms/copyright", "x")
        .writeDeb(tmp.resolve("vpoll-dkms_0.1-3_all.deb"));
    DriverSource d = DriverInputs.source(deb.toString(), work());
    assertThat(d).isInstanceOfSatisfying(DriverSource.Dkms.class, k -> assertThat(k.conf().packageVersion()).isEqualTo("0.1"));
    assertThat(d.name()).isEqualTo("vpoll");
    assertThat(d.dir().resolve("vpoll.c")).exists();
    assertThat(work().resolve("sources/vpoll-dkms_0.1-3_all.deb/usr/share")).as("only /usr/src is unpacked").doesNotExist();
  }

  @Test
  void aDebWithoutDkmsTreeAndASourceWithoutMakefileAreNamedAsSuch() throws Exception {
    Path deb = new ArchivesForTests().file("./usr/share/doc/x/copyright", "x").writeDeb(tmp.resolve("x.deb"));
    assertThatThrownBy(() -> DriverInputs.source(deb.toString(), work())).hasMessageContaining("is not a *-dkms package");
    Path dir = Files.createDirectories(tmp.resolve("empty-src"));
    Files.writeString(dir.resolve("x.c"), "int x;");
    assertThatThrownBy(() -> DriverInputs.source(dir.toString(), work())).hasMessageContaining("has no dkms.conf, Kbuild or Makefile");
    Path text = Files.writeString(tmp.resolve("notes.txt"), "hello");
    assertThatThrownBy(() -> DriverInputs.source(text.toString(), work())).hasMessageContaining("is neither a directory, a tarball, a .deb nor a .src.rpm");
  }

  // ---- link chains: every entry is resolved against the tree as really unpacked so far ----

  /** A canary standing for any file of the host: nothing may write it. */
  Path canary() throws Exception {
    Path c = tmp.resolve("host/etc/canary.mk");
    Files.createDirectories(c.getParent());
    Files.writeString(c, "include /usr/share/host/rules.mk\n");
    return c;
  }

  void assertUntouched(Path canary) {
    assertThat(canary).as("the host file outside").hasContent("include /usr/share/host/rules.mk");
  }

  @Test
  void aLinkThroughALinkThatLeavesTheTarballIsRefusedThoughItsTextStaysInside() throws Exception {
    // the issue's tarball: x/y/top is the unpack root itself, so top/../../.. lies three levels above it
    assertRefused(new ArchivesForTests().file("drv/Kbuild", "obj-m := a.o\n").symlink("drv/x/y/top", "../../..").symlink("drv/x/y/esc", "top/../../.."),
        "entry 'drv/x/y/esc' is a link leading out of the directory");
  }

  @Test
  void aFileWrittenUnderALinkLandsWhereTheLinkReallyLeadsAndNeverOutside() throws Exception {
    assertRefused(new ArchivesForTests().symlink("drv/x/y/top", "../../..").symlink("drv/x/y/esc", "top/../../..").file("drv/x/y/esc/escaped", "gotcha"),
        "entry 'drv/x/y/esc' is a link leading out of the directory");
    Path tgz = new ArchivesForTests().file("drv/Kbuild", "obj-m := a.o\n").symlink("drv/inc", "x/y").file("drv/inc/a.h", "int a;\n").writeTgz(tmp.resolve("ok.tgz"));
    DriverSource d = DriverInputs.source(tgz.toString(), work());
    assertThat(d.dir().resolve("x/y/a.h")).as("written where the link leads, inside").hasContent("int a;");
    assertThat(d.dir().resolve("inc")).isSymbolicLink();
  }

  @Test
  void aHardLinkThroughALinkOutOfTheTarballIsRefused() throws Exception {
    Path canary = canary();
    Path rel = work().resolve("sources/evil.tar.gz").relativize(canary); // ../../../host/etc/canary.mk from the unpack root
    assertRefused(new ArchivesForTests().symlink("drv/up", "..").hardlink("drv/x", "drv/up/" + rel), "entry 'drv/x' is a hard link to");
    assertUntouched(canary);
  }

  @Test
  void aLinkIsNeverReplacedNorWrittenThroughByALaterFile() throws Exception {
    assertRefused(new ArchivesForTests().file("drv/Kbuild", "obj-m := a.o\n").symlink("drv/m", "Kbuild").file("drv/m", "gotcha"), "entry 'drv/m' would replace the link drv/m");
  }

  @Test
  void aSourceTreeWithALinkOutOfItIsTakenButTheLinkNeverReachesTheBuildCopy() throws Exception {
    // DKMS copies such links as they are (iptables-netflow-dkms ships README.gz -> ../../share/doc/…);
    // kmodkit takes the tree as DKMS does, and leaves the link out of the copy the build runs in
    Path src = Files.createDirectories(tmp.resolve("hello-1.0"));
    Files.writeString(src.resolve("Kbuild"), "obj-m := hello.o\n");
    Files.writeString(src.resolve("hello.c"), "int x;\n");
    Files.createSymbolicLink(src.resolve("secret.h"), canary());
    Files.createDirectories(src.resolve("sub"));
    Files.createSymbolicLink(src.resolve("sub/up"), Path.of("../.."));
    Files.createSymbolicLink(src.resolve("sub/same.c"), Path.of("../hello.c"));
    assertThat(DriverInputs.source(src.toString(), work()).name()).isEqualTo("hello");
    Path copy = tmp.resolve("copy");
    assertThat(org.kmodkit.core.build.BuildRunner.copyTree(src, copy)).containsExactlyInAnyOrder("secret.h -> " + canary(), "sub/up -> ../..");
    assertThat(copy.resolve("secret.h")).doesNotExist();
    assertThat(Files.exists(copy.resolve("sub/up"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(Files.readSymbolicLink(copy.resolve("sub/same.c"))).as("a link inside the tree is copied as a link").isEqualTo(Path.of("../hello.c"));
    assertThat(copy.resolve("hello.c")).hasContent("int x;");
  }

  // ---- packages: absolute targets mean the package's root; chains through them are resolved too ----

  @Test
  void aPackageLinkWithAnAbsoluteTargetPointsInsideTheUnpackRoot() throws Exception {
    Path deb = new ArchivesForTests().file("./usr/src/linux-headers-x/Makefile", "x\n").symlink("./lib/modules/x/build", "/usr/src/linux-headers-x")
        .symlink("./lib/modules/x/source", "/").writeDeb(tmp.resolve("linux-image-x.deb"));
    Path dest = tmp.resolve("root");
    assertThat(Extractor.unpackPackages(List.of(deb), dest, p -> true)).containsExactly("/usr/src/linux-headers-x/Makefile", "/lib/modules/x/build", "/lib/modules/x/source");
    assertThat(dest.resolve("lib/modules/x/build/Makefile")).hasContent("x");
    assertThat(Files.readSymbolicLink(dest.resolve("lib/modules/x/build"))).isEqualTo(Path.of("../../../usr/src/linux-headers-x"));
    assertThat(Files.readSymbolicLink(dest.resolve("lib/modules/x/source"))).isEqualTo(Path.of("../../.."));
  }

  @Test
  void aDkmsTreeWhoseLinkClimbsOutOfItAndBackInIsLeftOutOfTheBuildCopy() throws Exception {
    // in the build copy such a link would lead elsewhere than in the package
    Path deb = new ArchivesForTests().file("./usr/src/vpoll-0.1/dkms.conf", "PACKAGE_NAME=\"vpoll\"\nPACKAGE_VERSION=\"0.1\"\nBUILT_MODULE_NAME[0]=vpoll\nDEST_MODULE_LOCATION[0]=/extra\n")
        .file("./usr/src/vpoll-0.1/include/vpoll.h", "int x;\n").symlink("./usr/src/vpoll-0.1/inc", "/usr/src/vpoll-0.1/include")
        .writeDeb(tmp.resolve("vpoll-dkms_0.1_all.deb"));
    org.kmodkit.core.build.DriverSource source = DriverInputs.source(deb.toString(), work());
    Path copy = tmp.resolve("copy");
    assertThat(org.kmodkit.core.build.BuildRunner.copyTree(source.dir(), copy)).containsExactly("inc -> ../../../usr/src/vpoll-0.1/include");
    assertThat(Files.exists(copy.resolve("inc"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(copy.resolve("include/vpoll.h")).hasContent("int x;");
  }

  @Test
  void anAbsoluteLinkChainThatClimbsAboveThePackageRootIsRefusedAndNothingIsLeft() throws Exception {
    Path deb = new ArchivesForTests().file("./usr/src/vpoll-0.1/dkms.conf", "PACKAGE_NAME=\"vpoll\"\nPACKAGE_VERSION=\"0.1\"\n")
        .symlink("./usr/src/vpoll-0.1/top", "/").symlink("./usr/src/vpoll-0.1/esc", "/usr/src/vpoll-0.1/top/..").writeDeb(tmp.resolve("evil.deb"));
    assertThatThrownBy(() -> DriverInputs.source(deb.toString(), work()))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith(deb.toString()).hasMessageContaining("entry 'usr/src/vpoll-0.1/esc' is a link leading out");
    assertThat(work().resolve("sources")).as("no partial tree").satisfiesAnyOf(k -> assertThat(k).doesNotExist(), k -> assertThat(k).isEmptyDirectory());
  }

  @Test
  void theIssuesHeadersChainNeverReachesTheHostFile() throws Exception {
    Path canary = canary();
    String h = "./usr/src/linux-headers-6.1.0-56-cloud-amd64/a/b/c/d/e/f/g/h";
    // h lies 11 levels below the root: top is the root, esc one level above it (its text says: the root)
    Path deb = new ArchivesForTests().control("Package: linux-headers-6.1.0-56-cloud-amd64\nVersion: 6.1.192-2\nArchitecture: amd64\n")
        .file("./usr/src/linux-headers-6.1.0-56-cloud-amd64/Module.symvers", "0x92997ed8\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n")
        .file("./usr/src/linux-headers-6.1.0-56-cloud-amd64/include/generated/utsrelease.h", "#define UTS_RELEASE \"6.1.0-56-cloud-amd64\"\n")
        .symlink(h + "/top", "../".repeat(10) + "..")
        .symlink(h + "/esc", "top/" + "../".repeat(11) + "..")
        .symlink("./usr/src/linux-headers-6.1.0-56-cloud-amd64/Makefile", "a/b/c/d/e/f/g/h/esc" + canary)
        .writeDeb(tmp.resolve("evil-headers.deb"));
    Path cache = tmp.resolve("cache");
    assertThatThrownBy(() -> new KernelInputs(new Cache(cache), null, s -> {}).kernels(KernelSpec.parse(List.of(deb.toString()), null)))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith(deb.toString()).hasMessageContaining("/h/esc' is a link leading out");
    assertUntouched(canary);
    assertThat(new Cache(cache).list()).as("no partial tree in the cache").isEmpty();
  }
}
