package org.kmodkit.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.build.DriverSource;

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
    assertThat(work().resolve("sources/evil.tar.gz")).as("nothing left behind").doesNotExist();
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
  void dotDotEntriesAreRefused() throws Exception {
    assertRefused(new ArchivesForTests().file("src/Kbuild", "x").file("src/../../escaped", "gotcha"), "climbs out with '..'");
  }

  @Test
  void absoluteEntriesAreRefused() throws Exception {
    assertRefused(new ArchivesForTests().file("src/Kbuild", "x").file(tmp.resolve("escaped").toString(), "gotcha"), "is an absolute path");
  }

  @Test
  void linksLeavingTheDirectoryAreRefused() throws Exception {
    assertRefused(new ArchivesForTests().symlink("src/out", "../../../escaped"), "is a link leaving the directory");
    assertRefused(new ArchivesForTests().symlink("src/out", tmp.resolve("escaped").toString()), "is a link to the absolute path");
  }

  @Test
  void writingThroughALinkIsRefusedEvenWhenTheLinkStaysInside() throws Exception {
    // the classic two-step escape: a harmless-looking link, then a file "under" it
    assertRefused(new ArchivesForTests().dir("src").symlink("src/lib", ".").file("src/lib/Kbuild", "x"), "would be written through the link");
  }

  @Test
  void hardLinksMustPointAtAFileUnpackedBefore() throws Exception {
    assertRefused(new ArchivesForTests().hardlink("src/x", "../escaped"), "climbs out with '..'");
    assertRefused(new ArchivesForTests().hardlink("src/x", "src/later"), "not a file unpacked before it");
  }

  @Test
  void aDkmsDebianPackageIsUnpackedAndItsDkmsConfRead() throws Exception {
    Path deb = new ArchivesForTests()
        .file("./usr/src/vpoll-0.1/dkms.conf", "PACKAGE_NAME=\"vpoll\"\nPACKAGE_VERSION=\"0.1\"\nBUILT_MODULE_NAME[0]=\"$PACKAGE_NAME\"\n")
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
    assertThatThrownBy(() -> DriverInputs.source(text.toString(), work())).hasMessageContaining("is neither a directory, a tarball, nor a .deb");
  }
}
